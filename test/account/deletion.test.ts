import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { history, joinHub, joinRoom, sendHttp, startConversation } from "../helpers/chat";
import { backdateDeletion, counterDrift, deleteAccount, rowsLeft, runPurges } from "../helpers/deletion";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, usernames } from "../helpers/graph";
import { groupsOf, settle } from "../helpers/notifications";
import { publish, readyMedia } from "../helpers/posts";
import { login, makeStaff, queueEntry, report } from "../helpers/staff";
import { fanOut } from "../helpers/stories";

afterEach(() => setClock(null));

const me = (user: TestUser) => api("GET", "/v1/me", { token: user.accessToken });

async function feedIds(user: TestUser): Promise<string[]> {
  const res = await api("GET", "/v1/feed", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: { id: string }[] }).items.map((p) => p.id);
}

describe("DELETE /v1/me", () => {
  it("needs the right password: a wrong one answers 401 and changes nothing", async () => {
    const user = await createUser();
    const res = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: "not the password" } });
    await expectProblem(res, 401, "unauthorized");
    expect((await me(user)).status).toBe(200);
    const row = await env.DB.prepare("SELECT deleted_at FROM users WHERE id = ?1").bind(user.id).first();
    expect(row?.deleted_at).toBeNull();
    await expectProblem(await api("DELETE", "/v1/me", { token: user.accessToken, body: {} }), 422, "validation_failed");
  });

  it("wrong passwords count against the sign-in limit of the account's name", WAITS_FOR_A_WINDOW, async () => {
    await startInOneWindow(60, 15_000);
    const user = await createUser();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: "wrong password" } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // The same bucket as sign-in: the right password is now refused on either route.
    const signIn = await api("POST", "/v1/auth/login", { body: { login: user.username, password: user.password } });
    await expectProblem(signIn, 429, "rate_limited");
    const again = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: user.password } });
    await expectProblem(again, 429, "rate_limited");
    expect((await me(user)).status).toBe(200);
  });

  it("the account disappears at once from every surface; its tokens and sockets end", async () => {
    const [gone, friend, other] = await Promise.all([createUser(), createUser(), createUser()]);
    await follow(friend, gone);
    await follow(gone, other);
    const post = await publish(gone, { caption: "soon gone #farewell" });
    expect(await feedIds(friend)).toContain(post.id);
    const theirs = await publish(friend, { caption: "liked by the gone account" });
    expect((await api("POST", `/v1/posts/${theirs.id}/like`, { token: gone.accessToken })).status).toBe(200);
    await settle(gone);
    const actors = async () =>
      (await groupsOf(friend)).items.flatMap((g) => g.actors.map((a) => a.id)).filter((id) => id === gone.id);
    expect(await actors()).toEqual([gone.id]);
    const storyId = await story(gone);
    const trayIds = async () => {
      const res = await api("GET", "/v1/stories/tray", { token: friend.accessToken });
      expect(res.status, await res.clone().text()).toBe(200);
      return JSON.stringify(await res.json());
    };
    expect(await trayIds()).toContain(gone.id);
    const conversation = await startConversation(gone, [friend]);
    const [hub, room] = [await joinHub(gone), await joinRoom(gone, conversation.id)];

    await env.DB.prepare(
      "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) VALUES (?1, ?2, ?3, 'k', 'a', ?4)",
    )
      .bind(`push-${gone.id}`, gone.id, `https://push.example.test/${gone.id}`, new Date().toISOString())
      .run();

    const due = await deleteAccount(gone);
    expect(Date.parse(due) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    // Its devices get nothing more, even within the grace period.
    const pushes = await env.DB.prepare("SELECT COUNT(*) AS n FROM push_subscriptions WHERE user_id = ?1")
      .bind(gone.id)
      .first<{ n: number }>();
    expect(pushes?.n).toBe(0);

    for (const socket of [hub, room]) expect((await socket.waitClosed()).code).toBe(4001);
    await expectProblem(await me(gone), 401, "unauthorized");
    await expectProblem(
      await api("POST", "/v1/auth/refresh", { body: { refresh_token: gone.refreshToken } }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await api("GET", `/v1/users/${gone.username}`), 404, "not_found");
    await expectProblem(await api("GET", `/v1/posts/${post.id}`, { token: friend.accessToken }), 404, "not_found");
    expect(await feedIds(friend)).not.toContain(post.id);
    const search = await api("GET", `/v1/search?type=accounts&q=${gone.username}`, { token: friend.accessToken });
    expect(await usernames(search)).not.toContain(gone.username);
    const followers = await api("GET", `/v1/users/${other.username}/followers`, { token: friend.accessToken });
    expect(await usernames(followers)).not.toContain(gone.username);
    const following = await api("GET", `/v1/users/${friend.username}/following`, { token: friend.accessToken });
    expect(await usernames(following)).not.toContain(gone.username);
    const likers = await api("GET", `/v1/posts/${theirs.id}/likes`, { token: friend.accessToken });
    expect(await usernames(likers)).not.toContain(gone.username);
    expect(await actors()).toEqual([]);
    expect(await trayIds()).not.toContain(gone.id);
    await expectProblem(await api("GET", `/v1/stories/${storyId}`, { token: friend.accessToken }), 404, "not_found");
    const explore = await api("GET", "/v1/explore?limit=50", { token: other.accessToken });
    expect(explore.status).toBe(200);
    expect(JSON.stringify(await explore.json())).not.toContain(gone.id);
  });

  it("within the grace period: sign-in works, only /v1/me and restore answer, and restore brings it all back", async () => {
    const [gone, friend] = await Promise.all([createUser(), createUser()]);
    await follow(friend, gone);
    const post = await publish(gone, { caption: "back soon" });
    const due = await deleteAccount(gone);

    const back = await login(gone);
    const res = await me(back);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { deletion_scheduled_for: string | null }).deletion_scheduled_for).toBe(due);
    await expectProblem(await api("GET", "/v1/feed", { token: back.accessToken }), 403, "account_pending_deletion");
    await expectProblem(
      await api("POST", "/v1/posts", { token: back.accessToken, body: { media_ids: ["01X"], caption: "x" } }),
      403,
      "account_pending_deletion",
    );
    await expectProblem(
      await api("GET", `/v1/users/${friend.username}`, { token: back.accessToken }),
      403,
      "account_pending_deletion",
    );
    await expectProblem(
      await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken }),
      404,
      "not_found",
    );

    const restored = await api("POST", "/v1/me/restore", { token: back.accessToken });
    expect(restored.status, await restored.clone().text()).toBe(200);
    expect(((await restored.json()) as { deletion_scheduled_for: string | null }).deletion_scheduled_for).toBeNull();
    await expectProblem(await api("POST", "/v1/me/restore", { token: back.accessToken }), 409, "conflict");
    expect((await api("GET", "/v1/feed", { token: back.accessToken })).status).toBe(200);
    expect((await api("GET", `/v1/users/${gone.username}`, { token: friend.accessToken })).status).toBe(200);
    expect((await api("GET", `/v1/posts/${post.id}`, { token: friend.accessToken })).status).toBe(200);
    expect(await feedIds(friend)).toContain(post.id);
  });

  it("after the grace period sign-in is refused as for a wrong password, and restore answers 409", async () => {
    const gone = await createUser();
    await deleteAccount(gone);
    const back = await login(gone);
    await backdateDeletion(gone, 31);
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { login: gone.username, password: gone.password } }),
      401,
      "unauthorized",
    );
    await expectProblem(await api("POST", "/v1/me/restore", { token: back.accessToken }), 409, "conflict");
    // The grace period's session cannot be refreshed past it either.
    await expectProblem(
      await api("POST", "/v1/auth/refresh", { body: { refresh_token: back.refreshToken } }),
      401,
      "unauthorized",
    );
  });
});

async function ok(res: Response, status = 200): Promise<Record<string, unknown>> {
  expect(res.status, await res.clone().text()).toBe(status);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

async function comment(user: TestUser, postId: string, body: string, replyTo?: string): Promise<string> {
  const res = await api("POST", `/v1/posts/${postId}/comments`, {
    token: user.accessToken,
    body: { body, ...(replyTo ? { reply_to: replyTo } : {}) },
  });
  return (await ok(res, 201)).id as string;
}

async function story(author: TestUser): Promise<string> {
  const res = await api("POST", "/v1/stories", {
    token: author.accessToken,
    body: { media_id: await readyMedia(author) },
  });
  const id = (await ok(res, 201)).id as string;
  await fanOut(id);
  return id;
}

/** An account with something of every kind, tied to `friend` and `other` every way there is. */
async function busyAccount(gone: TestUser, friend: TestUser, other: TestUser) {
  const t = (u: TestUser) => ({ token: u.accessToken });
  await follow(friend, gone);
  await follow(gone, other);
  await follow(gone, friend);
  const own = await publish(gone, { caption: `mine @${friend.username} #purged` });
  const theirs = await publish(friend, { caption: "theirs" });
  await ok(await api("POST", `/v1/posts/${own.id}/like`, t(friend)));
  await ok(await api("POST", `/v1/posts/${theirs.id}/like`, t(gone)));
  await ok(await api("POST", `/v1/posts/${theirs.id}/save`, t(gone)));
  await ok(await api("POST", `/v1/posts/${own.id}/save`, t(friend)));
  await comment(friend, own.id, "nice");
  const top = await comment(gone, theirs.id, "from the gone account");
  await comment(friend, theirs.id, "a reply to it", top);
  const friendTop = await comment(friend, theirs.id, "friend's own");
  await comment(gone, theirs.id, "gone replies", friendTop);
  await ok(await api("PUT", `/v1/me/close-friends/${friend.username}`, t(gone)));
  await ok(await api("POST", `/v1/users/${other.username}/mute`, t(gone)));
  const ownStory = await story(gone);
  const friendStory = await story(friend);
  await ok(await api("POST", `/v1/stories/${ownStory}/view`, t(friend)), 204);
  await ok(await api("POST", `/v1/stories/${friendStory}/view`, t(gone)), 204);
  await ok(await api("POST", "/v1/highlights", { ...t(gone), body: { title: "trip", story_ids: [ownStory] } }), 201);
  const conversation = await startConversation(gone, [friend]);
  await sendHttp(gone, conversation.id, "a secret from the gone account");
  await sendHttp(friend, conversation.id, "a reply that stays");
  await settle(gone, friend, other);
  return { own, theirs, conversation, friendStory };
}

describe("the OpenAPI document", () => {
  it("lists 403 account_pending_deletion on authenticated operations, not on the two a pending deletion may use", async () => {
    type Op = { responses: Record<string, { description: string }> };
    const doc = (await (await api("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, Op>> };
    const at = (path: string, method: string) => doc.paths[path]?.[method]?.responses["403"]?.description ?? "";
    expect(at("/v1/feed", "get")).toContain("Account pending deletion");
    expect(at("/v1/users/{username}", "get")).toContain("Account pending deletion");
    expect(at("/v1/me", "delete")).toContain("Account pending deletion");
    expect(at("/v1/me", "get")).not.toContain("Account pending deletion");
    expect(at("/v1/me/restore", "post")).not.toContain("Account pending deletion");
    expect(at("/v1/auth/login", "post")).not.toContain("Account pending deletion");
  });
});

describe("the purge", () => {
  it("after the grace period erases everything of the account, keeps counters exact, frees the username", async () => {
    const [gone, friend, other] = await Promise.all([createUser(), createUser(), createUser()]);
    const staff = await makeStaff("moderator");
    const { theirs, conversation, friendStory } = await busyAccount(gone, friend, other);
    expect((await report(other, { type: "user", id: gone.id }, "spam")).status).toBe(201);
    await deleteAccount(gone);
    // Within the grace period the cron queues nothing for it.
    await runPurges();
    expect(await rowsLeft(gone.id)).toContain("users.id: 1");

    await backdateDeletion(gone, 31);
    expect(await runPurges()).toBeGreaterThan(10);
    expect(await rowsLeft(gone.id)).toEqual([]);
    expect(await counterDrift()).toEqual([]);
    const listed = await env.MEDIA.list({ prefix: `media/${gone.id}/` });
    expect(listed.objects).toEqual([]);

    const post = await ok(await api("GET", `/v1/posts/${theirs.id}`, { token: friend.accessToken }));
    expect(post.like_count).toBe(0);
    expect(post.comment_count).toBe(1);
    const counts = await env.DB.prepare("SELECT followers_count, following_count FROM users WHERE id = ?1")
      .bind(friend.id)
      .first();
    expect(counts).toEqual({ followers_count: 0, following_count: 0 });
    const viewCount = await env.DB.prepare("SELECT view_count FROM stories WHERE id = ?1").bind(friendStory).first();
    expect(viewCount?.view_count).toBe(0);

    // The other member still has the conversation: the gone account's message, its body erased.
    const messages = await history(friend, conversation.id);
    const fromGone = messages.find((m) => m.sender === gone.id);
    expect(fromGone?.body).toBe("");
    expect((fromGone as unknown as { sender_deleted: boolean }).sender_deleted).toBe(true);
    expect(messages.find((m) => m.sender === friend.id)?.body).toBe("a reply that stays");

    // Reports about the account stay for staff.
    const entry = await queueEntry(staff, "user", gone.id);
    expect(entry?.report_count).toBe(1);

    // The username (and email) can be taken again.
    const again = await createUser({ username: gone.username, email: gone.email });
    expect(again.id).not.toBe(gone.id);
    // A second run finds nothing to do, and the new account of the same name is untouched.
    await runPurges();
    expect(await rowsLeft(again.id)).toContain("users.id: 1");
  });

  it("every step redelivered changes nothing more: still nothing left, counters exact", async () => {
    const [gone, friend, other] = await Promise.all([createUser(), createUser(), createUser()]);
    await busyAccount(gone, friend, other);
    await deleteAccount(gone);
    await backdateDeletion(gone, 31);
    await runPurges({ redeliver: true });
    expect(await rowsLeft(gone.id)).toEqual([]);
    expect(await counterDrift()).toEqual([]);
  });

  it("a post, a comment, a follow and a like written after their steps ran (a race with the deletion) are still erased, counters exact", async () => {
    const [gone, friend, other] = await Promise.all([createUser(), createUser(), createUser()]);
    const theirs = await publish(friend, { caption: "raced" });
    await deleteAccount(gone);
    await backdateDeletion(gone, 31);
    let raced = false;
    await runPurges({
      beforeEach: async (job) => {
        // Just after the follows and likes steps are done: rows as a racing request would write them.
        if (raced || job.step !== "stories") return;
        raced = true;
        const now = new Date().toISOString();
        await env.DB.batch([
          env.DB.prepare("INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES (?1, ?2, ?3, ?4)").bind(
            other.id,
            gone.id,
            `race-${gone.id}`,
            now,
          ),
          env.DB.prepare("UPDATE users SET following_count = following_count + 1 WHERE id = ?1").bind(other.id),
          env.DB.prepare("UPDATE users SET followers_count = followers_count + 1 WHERE id = ?1").bind(gone.id),
          env.DB.prepare("INSERT INTO likes (post_id, user_id, id, created_at) VALUES (?1, ?2, ?3, ?4)").bind(
            theirs.id,
            gone.id,
            `race-like-${gone.id}`,
            now,
          ),
          env.DB.prepare("UPDATE posts SET like_count = like_count + 1 WHERE id = ?1").bind(theirs.id),
          env.DB.prepare(
            "INSERT INTO posts (id, author_id, caption, audience, created_at, updated_at) VALUES (?1, ?2, 'raced', 'public', ?3, ?3)",
          ).bind(`race-post-${gone.id}`, gone.id, now),
          env.DB.prepare(
            "INSERT INTO comments (id, post_id, author_id, body, created_at) VALUES (?1, ?2, ?3, 'raced', ?4)",
          ).bind(`race-comment-${gone.id}`, theirs.id, gone.id, now),
          env.DB.prepare("UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?1").bind(theirs.id),
        ]);
      },
    });
    expect(raced).toBe(true);
    expect(await rowsLeft(gone.id)).toEqual([]);
    expect(await counterDrift()).toEqual([]);
    const counts = await env.DB.prepare("SELECT following_count FROM users WHERE id = ?1").bind(other.id).first();
    expect(counts?.following_count).toBe(0);
    const post = await env.DB.prepare("SELECT like_count, comment_count FROM posts WHERE id = ?1")
      .bind(theirs.id)
      .first();
    expect(post).toEqual({ like_count: 0, comment_count: 0 });
  });

  it("a restored account is not purged", async () => {
    const gone = await createUser();
    await publish(gone, { caption: "kept" });
    await deleteAccount(gone);
    const back = await login(gone);
    await ok(await api("POST", "/v1/me/restore", { token: back.accessToken }));
    await runPurges();
    expect(await rowsLeft(gone.id)).toContain("posts.author_id: 1");
  });
});
