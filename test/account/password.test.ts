import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { sha256Hex } from "../../src/platform/crypto";
import { api, expectProblem, freshIp, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { joinHub } from "../helpers/chat";
import { createUser, type SessionBody, type TestUser } from "../helpers/factories";
import { lastMail, mailbox, tokenIn } from "../helpers/mail";

afterEach(() => setClock(null));

const me = (token: string) => api("GET", "/v1/me", { token });
const login = (name: string, password: string) =>
  api("POST", "/v1/auth/login", { body: { login: name, password }, ip: freshIp() });
const refresh = (token: string) => api("POST", "/v1/auth/refresh", { body: { refresh_token: token } });

/** A second sign-in of the same account: another session. */
async function anotherSession(user: TestUser): Promise<TestUser> {
  const res = await login(user.username, user.password);
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as SessionBody;
  return { ...user, accessToken: body.access_token, refreshToken: body.refresh_token };
}

const changePassword = (user: TestUser, current: string, next: string) =>
  api("PUT", "/v1/me/password", { token: user.accessToken, body: { current_password: current, new_password: next } });

describe("PUT /v1/me/password (docs/security.md B11)", () => {
  it("ends every other session at once (tokens and sockets) and keeps the caller's", async () => {
    const user = await createUser();
    const other = await anotherSession(user);
    const socket = await joinHub(other);
    expect((await me(other.accessToken)).status).toBe(200);

    const res = await changePassword(user, user.password, "a brand new phrase");
    expect(res.status, await res.clone().text()).toBe(204);

    // The other session: its access token is refused on its next request, its refresh too.
    await expectProblem(await me(other.accessToken), 401, "unauthorized");
    await expectProblem(await refresh(other.refreshToken), 401, "unauthorized");
    // Every socket of the account is closed (the caller's client reconnects with a fresh ticket).
    expect((await socket.waitClosed()).code).toBe(4001);
    // The caller's session stays: its access token works and its refresh token rotates.
    expect((await me(user.accessToken)).status).toBe(200);
    expect((await refresh(user.refreshToken)).status).toBe(200);
    // The old password no longer signs in; the new one does.
    await expectProblem(await login(user.username, user.password), 401, "unauthorized");
    expect((await login(user.username, "a brand new phrase")).status).toBe(200);
    expect((await lastMail(user.email, /password was changed/)).to).toBe(user.email);
  });

  it("answers 401 for a wrong current password and 422 for a weak new one, changing nothing", async () => {
    const user = await createUser();
    const other = await anotherSession(user);
    await expectProblem(await changePassword(user, "not my password", "a brand new phrase"), 401, "unauthorized");
    const weak = await expectProblem(await changePassword(user, user.password, "short"), 422, "validation_failed");
    expect(weak.errors?.map((e) => e.path)).toEqual(["new_password"]);
    expect((await me(other.accessToken)).status).toBe(200);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it(
    "counts wrong current passwords against the login limit: the sixth attempt in a minute is a 429",
    WAITS_FOR_A_WINDOW,
    async () => {
      const user = await createUser();
      await startInOneWindow(60, 15_000);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await changePassword(user, "wrong guess", "a brand new phrase")).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // The same limit as login: signing in by name is locked out for the window too.
      expect((await login(user.username, user.password)).status).toBe(429);
    },
  );
});

describe("password reset", () => {
  const requestReset = (email: string) => api("POST", "/v1/auth/password-reset", { body: { email } });
  const confirm = (token: string, password: string) =>
    api("POST", "/v1/auth/password-reset/confirm", { body: { token, new_password: password } });

  it("mails a one-use link (30 minutes) that sets the password and ends every session", async () => {
    const user = await createUser();
    const other = await anotherSession(user);
    const socket = await joinHub(user);
    const res = await requestReset(user.email.toUpperCase());
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "check_email" });
    const mail = await lastMail(user.email, /Reset your password/);
    expect(mail.text).toMatch(/http:\/\/localhost:3000\/reset-password\?token=/);
    const token = tokenIn(mail);
    // Stored hashed.
    const row = await env.DB.prepare(
      "SELECT token_hash, expires_at, created_at FROM account_tokens WHERE user_id = ? AND purpose = 'password_reset'",
    )
      .bind(user.id)
      .first<{ token_hash: string; expires_at: string; created_at: string }>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    expect(Date.parse(row?.expires_at ?? "") - Date.parse(row?.created_at ?? "")).toBe(30 * 60_000);

    const done = await confirm(token, "reset phrase here");
    expect(done.status, await done.clone().text()).toBe(204);
    for (const session of [user, other]) {
      await expectProblem(await me(session.accessToken), 401, "unauthorized");
      await expectProblem(await refresh(session.refreshToken), 401, "unauthorized");
    }
    expect((await socket.waitClosed()).code).toBe(4001);
    expect((await login(user.username, "reset phrase here")).status).toBe(200);
    // Reuse is a 400 and changes nothing.
    await expectProblem(await confirm(token, "another phrase 123"), 400, "bad_request");
    expect((await login(user.username, "reset phrase here")).status).toBe(200);
  });

  it("refuses an expired token with 400", async () => {
    const user = await createUser();
    expect((await requestReset(user.email)).status).toBe(202);
    const token = tokenIn(await lastMail(user.email, /Reset your password/));
    const later = Date.now() + 31 * 60_000;
    setClock({ now: () => new Date(later) });
    await expectProblem(await confirm(token, "too late phrase"), 400, "bad_request");
    setClock(null);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it("lets exactly one of two concurrent confirms of one token win", async () => {
    const user = await createUser();
    expect((await requestReset(user.email)).status).toBe(202);
    const token = tokenIn(await lastMail(user.email, /Reset your password/));
    const results = await Promise.all([confirm(token, "first phrase wins"), confirm(token, "second phrase wins")]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([204, 400]);
    const winner = results[0]?.status === 204 ? "first phrase wins" : "second phrase wins";
    const loser = winner === "first phrase wins" ? "second phrase wins" : "first phrase wins";
    expect((await login(user.username, winner)).status).toBe(200);
    await expectProblem(await login(user.username, loser), 401, "unauthorized");
  });

  it("answers 422 for a weak new password and leaves the token usable", async () => {
    const user = await createUser();
    expect((await requestReset(user.email)).status).toBe(202);
    const token = tokenIn(await lastMail(user.email, /Reset your password/));
    await expectProblem(await confirm(token, "short"), 422, "validation_failed");
    expect((await confirm(token, "long enough now")).status).toBe(204);
  });

  it("does the same work for an unknown address: 202, one token hashed, one batch, one job, no mail (B13)", async () => {
    const user = await createUser();
    const unknown = `nobody-${crypto.randomUUID()}@example.com`;
    const jobs = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE json_extract(job, '$.type') = 'mail.send'").first<{
          n: number;
        }>()
      )?.n ?? 0;
    const mails = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM mails").first<{ n: number }>())?.n ?? 0;
    const tokens = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM account_tokens").first<{ n: number }>())?.n ?? 0;

    const before = { jobs: await jobs(), mails: await mails(), tokens: await tokens() };
    const known = await requestReset(user.email);
    const afterKnown = { jobs: await jobs(), mails: await mails(), tokens: await tokens() };
    const none = await requestReset(unknown);
    const afterUnknown = { jobs: await jobs(), mails: await mails(), tokens: await tokens() };

    expect([known.status, none.status]).toEqual([202, 202]);
    expect(await none.json()).toEqual(await known.json());
    // The same path: each staged exactly one mail.send job ...
    expect(afterKnown.jobs - before.jobs).toBe(1);
    expect(afterUnknown.jobs - afterKnown.jobs).toBe(1);
    // ... but only the known address got a token and a mail row.
    expect([afterKnown.mails - before.mails, afterKnown.tokens - before.tokens]).toEqual([1, 1]);
    expect([afterUnknown.mails - afterKnown.mails, afterUnknown.tokens - afterKnown.tokens]).toEqual([0, 0]);
    // The unknown address's job runs and finds nothing to send.
    expect(await mailbox(unknown)).toEqual([]);
  });
});
