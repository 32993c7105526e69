import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, expectProblem } from "../helpers/api";
import { joinHub, joinRoom, startConversation, ticketFor, upgrade } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { joinLive, startCommentsOnly } from "../helpers/live";
import { publish } from "../helpers/posts";
import { act, login, makeStaff } from "../helpers/staff";

const me = (user: TestUser) => api("GET", "/v1/me", { token: user.accessToken });

async function runMinuteCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  // waitUntil work: the cron hands its jobs to the context.
  const { waitOnExecutionContext } = await import("cloudflare:test");
  await waitOnExecutionContext(ctx);
}

describe("suspension", () => {
  it("stops the account at once: tokens, refresh, writes, tickets and every open socket (4001)", async () => {
    const [victim, friend, host] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    const conversation = await startConversation(victim, [friend]);
    const [hub, room] = [await joinHub(victim), await joinRoom(victim, conversation.id)];
    const friendRoom = await joinRoom(friend, conversation.id);
    const session = await startCommentsOnly(host);
    const watching = await joinLive(victim, session.id);
    const own = await startCommentsOnly(victim);
    const ownViewer = await joinLive(friend, own.id);
    const laterTicket = await ticketFor(victim, "user");
    expect((await me(victim)).status).toBe(200);

    const res = await act(mod, "user", victim.id, "suspend", { note: "spam network" });
    expect(res.status, await res.clone().text()).toBe(201);

    for (const socket of [hub, room, watching]) expect((await socket.waitClosed()).code).toBe(4001);
    // The victim's own live session ended for everyone in it; the friend's chat socket stays open.
    expect((await ownViewer.waitClosed()).code).toBe(4000);
    expect(friendRoom.closed).toBeNull();
    await expectProblem(await upgrade(`/v1/realtime?ticket=${laterTicket}`), 401, "unauthorized");

    await expectProblem(await me(victim), 401, "unauthorized");
    const write = await api("POST", "/v1/posts", {
      token: victim.accessToken,
      body: { media_ids: ["01NOSUCHMEDIA000000000000"], caption: "still here" },
    });
    await expectProblem(write, 401, "unauthorized");
    await expectProblem(
      await api("POST", "/v1/auth/refresh", { body: { refresh_token: victim.refreshToken } }),
      401,
      "unauthorized",
    );
    const denied = await api("POST", "/v1/auth/login", { body: { login: victim.username, password: victim.password } });
    const problem = (await expectProblem(denied, 403, "account_suspended")) as unknown as {
      suspended_until: string | null;
      reason: string;
    };
    expect(problem.suspended_until).toBeNull();
    expect(problem.reason).toBe("spam network");
    // A wrong password is told nothing about the suspension.
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { login: victim.username, password: "wrong password here" } }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api("GET", `/v1/users/${victim.username}`, { token: friend.accessToken }),
      404,
      "not_found",
    );
    const live = await api("GET", `/v1/live/${own.id}`, { token: friend.accessToken });
    expect(live.status === 404 || ((await live.json()) as { status: string }).status === "ended").toBe(true);
    for (const s of [friendRoom]) s.close();
  });

  it("a write with a token of a suspended account commits nothing: the check rolls the batch back", async () => {
    const [victim, other] = await Promise.all([createUser(), createUser()]);
    const post = await publish(other);
    await env.DB.prepare("UPDATE users SET suspended_at = ?1 WHERE id = ?2")
      .bind(new Date().toISOString(), victim.id)
      .run();
    const like = await api("POST", `/v1/posts/${post.id}/like`, { token: victim.accessToken });
    await expectProblem(like, 401, "unauthorized");
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM likes WHERE user_id = ?1")
      .bind(victim.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    const count = await env.DB.prepare("SELECT like_count FROM posts WHERE id = ?1")
      .bind(post.id)
      .first<{ like_count: number }>();
    expect(count?.like_count).toBe(0);
  });

  it("a temporary suspension ends: at sign-in once it has passed, or by the minute cron", async () => {
    const [a, b] = await Promise.all([createUser(), createUser()]);
    const admin = await makeStaff("admin");
    for (const user of [a, b]) {
      const res = await act(admin, "user", user.id, "suspend", { duration_hours: 2 });
      expect(res.status, await res.clone().text()).toBe(201);
      expect(((await res.json()) as { duration_hours: number }).duration_hours).toBe(2);
    }
    const denied = await api("POST", "/v1/auth/login", { body: { login: a.username, password: a.password } });
    const problem = (await expectProblem(denied, 403, "account_suspended")) as unknown as { suspended_until: string };
    const until = Date.parse(problem.suspended_until);
    expect(until - Date.now()).toBeGreaterThan(7_100_000);
    expect(until - Date.now()).toBeLessThanOrEqual(7_200_000);

    const past = new Date(Date.now() - 1000).toISOString();
    await env.DB.prepare("UPDATE users SET suspended_until = ?1 WHERE id IN (?2, ?3)").bind(past, a.id, b.id).run();
    // a: the sign-in lifts it.
    expect((await login(a)).accessToken).toBeTruthy();
    // b: the cron lifts it, with an event by the system.
    await runMinuteCron();
    const row = await env.DB.prepare("SELECT suspended_at FROM users WHERE id = ?1")
      .bind(b.id)
      .first<{ suspended_at: string | null }>();
    expect(row?.suspended_at).toBeNull();
    const again = await login(b);
    expect((await me(again)).status).toBe(200);
    const audit = await api("GET", "/v1/admin/audit?limit=100", { token: admin.accessToken });
    const events = ((await audit.json()) as { items: { action: string; actor_id: string | null; owner_id: string }[] })
      .items;
    for (const user of [a, b]) {
      expect(events.filter((e) => e.owner_id === user.id).map((e) => [e.action, e.actor_id])).toEqual([
        ["unsuspend", null],
        ["suspend", admin.id],
      ]);
    }
  });

  it("a gone account cannot be blocked (404, nothing stored), but an earlier block can be undone", async () => {
    const [victim, other, earlier] = await Promise.all([createUser(), createUser(), createUser()]);
    const mod = await makeStaff("moderator");
    expect((await api("POST", `/v1/users/${victim.username}/block`, { token: earlier.accessToken })).status).toBe(200);
    await act(mod, "user", victim.id, "suspend");
    await expectProblem(
      await api("POST", `/v1/users/${victim.username}/block`, { token: other.accessToken }),
      404,
      "not_found",
    );
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM blocks WHERE blocker_id = ?1")
      .bind(other.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    const undo = await api("DELETE", `/v1/users/${victim.username}/block`, { token: earlier.accessToken });
    expect(undo.status, await undo.clone().text()).toBe(200);
    expect(((await undo.json()) as { blocking: boolean }).blocking).toBe(false);
  });

  it("staff unsuspend lifts it; unsuspending an active account is a 409", async () => {
    const victim = await createUser();
    const mod = await makeStaff("moderator");
    await act(mod, "user", victim.id, "suspend");
    await expectProblem(await act(mod, "user", victim.id, "suspend"), 409, "conflict");
    expect((await act(mod, "user", victim.id, "unsuspend")).status).toBe(201);
    await expectProblem(await act(mod, "user", victim.id, "unsuspend"), 409, "conflict");
    expect((await me(await login(victim))).status).toBe(200);
  });
});

describe("sessions that end at once", () => {
  it("logout ends the session's access token at once, not at its expiry", async () => {
    const user = await createUser();
    const second = await login(user);
    expect((await me(user)).status).toBe(200);
    const out = await api("POST", "/v1/auth/logout", { body: { refresh_token: user.refreshToken } });
    expect(out.status).toBeLessThan(300);
    await expectProblem(await me(user), 401, "unauthorized");
    // Another session of the same account goes on.
    expect((await me(second)).status).toBe(200);
  });

  it("a changed role ends tokens that name the old one", async () => {
    const mod = await makeStaff("moderator");
    expect((await api("GET", "/v1/admin/reports", { token: mod.accessToken })).status).toBe(200);
    await env.DB.prepare("UPDATE users SET role = 'user' WHERE id = ?1").bind(mod.id).run();
    await expectProblem(await api("GET", "/v1/admin/reports", { token: mod.accessToken }), 401, "unauthorized");
    const demoted = await login(mod);
    await expectProblem(await api("GET", "/v1/admin/reports", { token: demoted.accessToken }), 404, "not_found");
  });
});

describe("roles", () => {
  const routes = (ids: { post: string }) => [
    { method: "GET", path: "/v1/admin/reports", ok: 200 },
    { method: "GET", path: "/v1/admin/reports?status=resolved", ok: 200 },
    { method: "GET", path: `/v1/admin/subjects/post/${ids.post}`, ok: 200 },
    { method: "GET", path: "/v1/admin/audit", ok: 200 },
    {
      method: "POST",
      path: `/v1/admin/subjects/post/${ids.post}/actions`,
      ok: 201,
      body: { action: "warn", note: "n" },
    },
  ];

  it("every staff route answers users and strangers as an unknown path does (404), and staff as asked", async () => {
    const [author, user] = await Promise.all([createUser(), createUser()]);
    const [mod, admin] = [await makeStaff("moderator"), await makeStaff("admin")];
    const post = await publish(author);
    const unknown = await api("GET", "/v1/admin/nothing-here", { token: user.accessToken });
    const unknownBody = (await expectProblem(unknown, 404, "not_found")).detail;
    for (const route of routes({ post: post.id })) {
      for (const caller of [null, user]) {
        const res = await api(route.method, route.path, { token: caller?.accessToken, body: route.body });
        const problem = await expectProblem(res, 404, "not_found");
        expect(problem.detail, `${route.method} ${route.path}`).toBe(unknownBody);
      }
      const garbage = await api(route.method, route.path, { token: "a.b.c", body: route.body });
      await expectProblem(garbage, 404, "not_found");
      for (const staff of [mod, admin]) {
        const res = await api(route.method, route.path, { token: staff.accessToken, body: route.body });
        expect(res.status, `${route.method} ${route.path}: ${await res.clone().text()}`).toBe(route.ok);
      }
    }
  });

  it("there is no way to become staff through the API", async () => {
    const user = await createUser();
    await expectProblem(
      await api("PATCH", "/v1/me", { token: user.accessToken, body: { role: "admin" } }),
      422,
      "validation_failed",
    );
    const row = await env.DB.prepare("SELECT role FROM users WHERE id = ?1").bind(user.id).first<{ role: string }>();
    expect(row?.role).toBe("user");
    const mod = await makeStaff("moderator");
    // Staff cannot promote anyone either: no route sets a role, and acting on an account never does.
    await act(mod, "user", user.id, "warn");
    const after = await env.DB.prepare("SELECT role FROM users WHERE id = ?1").bind(user.id).first<{ role: string }>();
    expect(after?.role).toBe("user");
  });
});
