import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { sha256Hex } from "../../src/platform/crypto";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser, type TestUser, uniqueUsername } from "../helpers/factories";
import { lastMail, mailbox, tokenIn } from "../helpers/mail";

const me = async (user: TestUser) => {
  const res = await api("GET", "/v1/me", { token: user.accessToken });
  expect(res.status).toBe(200);
  return (await res.json()) as { email: string; email_verified: boolean };
};
const verify = (token: string) => api("POST", "/v1/auth/verify-email", { body: { token } });

afterEach(() => setClock(null));

describe("email verification", () => {
  it("mails a one-use link at sign-up; following it verifies the address", async () => {
    const user = await createUser();
    expect((await me(user)).email_verified).toBe(false);
    const mail = await lastMail(user.email, /Verify your email/);
    expect(mail.to).toBe(user.email);
    // Both bodies carry the link to APP_URL with the token as the `token` parameter.
    expect(mail.text).toMatch(/^[\s\S]*http:\/\/localhost:3000\/verify-email\?token=[A-Za-z0-9_-]{43}/);
    expect(mail.html).toContain(`http://localhost:3000/verify-email?token=${tokenIn(mail)}`);
    const res = await verify(tokenIn(mail));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ email: user.email, email_verified: true });
    expect((await me(user)).email_verified).toBe(true);
    // Used once: the same link again is a 400 and changes nothing.
    await expectProblem(await verify(tokenIn(mail)), 400, "bad_request");
  });

  it("stores only the token's SHA-256, never the token (not in the mail row either)", async () => {
    const user = await createUser();
    const token = tokenIn(await lastMail(user.email, /Verify your email/));
    const row = await env.DB.prepare("SELECT token_hash FROM account_tokens WHERE user_id = ?")
      .bind(user.id)
      .first<{ token_hash: string }>();
    expect(row?.token_hash).toBe(await sha256Hex(token));
    const leaked = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM mails WHERE text_body LIKE ?1 OR html_body LIKE ?1 OR token_id = ?2",
    )
      .bind(`%${token}%`, token)
      .first<{ n: number }>();
    expect(leaked?.n).toBe(0);
  });

  it("refuses an expired link (24 hours) with 400", async () => {
    const user = await createUser();
    const token = tokenIn(await lastMail(user.email, /Verify your email/));
    const later = Date.now() + 24 * 3600_000 + 60_000;
    setClock({ now: () => new Date(later) });
    await expectProblem(await verify(token), 400, "bad_request");
    setClock(null);
    expect((await me(user)).email_verified).toBe(false);
  });

  it("answers 400 for a made-up token and 422 for a missing one", async () => {
    await expectProblem(await verify("not-a-real-token"), 400, "bad_request");
    await expectProblem(await api("POST", "/v1/auth/verify-email", { body: {} }), 422, "validation_failed");
  });

  it("resends a fresh link on request (the earlier one stops working), and 409 once verified", async () => {
    const user = await createUser();
    const first = tokenIn(await lastMail(user.email, /Verify your email/));
    const res = await api("POST", "/v1/me/email/verification", { token: user.accessToken });
    expect(res.status, await res.clone().text()).toBe(202);
    const mails = (await mailbox(user.email)).filter((m) => /Verify your email/.test(m.subject));
    expect(mails).toHaveLength(2);
    const [newest] = mails;
    if (!newest) throw new Error("no mail");
    const second = tokenIn(newest);
    expect(second).not.toBe(first);
    await expectProblem(await verify(first), 400, "bad_request");
    expect((await verify(second)).status).toBe(200);
    await expectProblem(await api("POST", "/v1/me/email/verification", { token: user.accessToken }), 409, "conflict");
  });

  it("rate-limits resends: the fourth in a minute is a 429", WAITS_FOR_A_WINDOW, async () => {
    const user = await createUser();
    await startInOneWindow(60, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api("POST", "/v1/me/email/verification", { token: user.accessToken })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe("PATCH /v1/me/email", () => {
  it("verifies the new address before it takes effect, and tells the old one", async () => {
    const user = await createUser();
    const next = `${uniqueUsername("new")}@example.com`;
    const res = await api("PATCH", "/v1/me/email", {
      token: user.accessToken,
      body: { email: next.toUpperCase(), password: user.password },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    // Not yet: the account keeps its address until the link is followed.
    expect((await me(user)).email).toBe(user.email);
    const notice = await lastMail(user.email, /being changed/);
    expect(notice.text).toContain(next);
    const link = await lastMail(next, /Confirm your new email/);
    const done = await verify(tokenIn(link));
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await me(user)).toMatchObject({ email: next, email_verified: true });
    const login = await api("POST", "/v1/auth/login", { body: { login: next, password: user.password } });
    expect(login.status).toBe(200);
    await expectProblem(await verify(tokenIn(link)), 400, "bad_request");
  });

  it("stops reset links mailed to the old address once the change is confirmed", async () => {
    const user = await createUser();
    expect((await api("POST", "/v1/auth/password-reset", { body: { email: user.email } })).status).toBe(202);
    const reset = tokenIn(await lastMail(user.email, /Reset your password/));
    const next = `${uniqueUsername("moved")}@example.com`;
    await api("PATCH", "/v1/me/email", { token: user.accessToken, body: { email: next, password: user.password } });
    expect((await verify(tokenIn(await lastMail(next, /Confirm your new email/)))).status).toBe(200);
    await expectProblem(
      await api("POST", "/v1/auth/password-reset/confirm", { body: { token: reset, new_password: "taken over now" } }),
      400,
      "bad_request",
    );
  });

  it("answers a taken address like a free one; its owner gets a notice, no link", async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    const res = await api("PATCH", "/v1/me/email", {
      token: user.accessToken,
      body: { email: other.email, password: user.password },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "check_email" });
    const mails = await mailbox(other.email);
    expect(mails.some((m) => /Someone tried to use your email/.test(m.subject))).toBe(true);
    expect(mails.some((m) => /Confirm your new email/.test(m.subject))).toBe(false);
    expect((await me(user)).email).toBe(user.email);
  });

  it("answers 401 for a wrong password and 422 for a bad address, changing nothing", async () => {
    const user = await createUser();
    await expectProblem(
      await api("PATCH", "/v1/me/email", {
        token: user.accessToken,
        body: { email: "x@example.com", password: "wrong password" },
      }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api("PATCH", "/v1/me/email", { token: user.accessToken, body: { email: "nope", password: user.password } }),
      422,
      "validation_failed",
    );
    expect((await mailbox("x@example.com")).length).toBe(0);
  });

  it("answers 409 when another account took the address before the link was followed", async () => {
    const user = await createUser();
    const next = `${uniqueUsername("race")}@example.com`;
    const res = await api("PATCH", "/v1/me/email", {
      token: user.accessToken,
      body: { email: next, password: user.password },
    });
    expect(res.status).toBe(202);
    const token = tokenIn(await lastMail(next, /Confirm your new email/));
    await createUser({ email: next });
    await expectProblem(await verify(token), 409, "conflict");
    expect((await me(user)).email).toBe(user.email);
  });
});
