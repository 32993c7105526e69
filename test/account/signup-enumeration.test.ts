import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { createUser, uniqueUsername } from "../helpers/factories";
import { mailbox } from "../helpers/mail";

const signup = (username: string, email: string) =>
  api("POST", "/v1/auth/signup", { body: { username, email, password: "correct horse" } });
const count = async (query: string, ...args: unknown[]) =>
  (
    await env.DB.prepare(query)
      .bind(...args)
      .first<{ n: number }>()
  )?.n;

/** docs/security.md B13: sign-up does not tell whether an email has an account. */
describe("sign-up with a taken email", () => {
  it("answers exactly like a free email, creates nothing, and tells the address's owner", async () => {
    const owner = await createUser();
    const freeEmail = `${uniqueUsername("free")}@example.com`;
    const free = await signup(uniqueUsername(), freeEmail);
    const probeName = uniqueUsername("probe");
    const taken = await signup(probeName, owner.email);
    expect(taken.status).toBe(free.status);
    expect(taken.status).toBe(202);
    const [freeBody, takenBody] = [await free.json(), await taken.json()];
    expect(Object.keys(takenBody as object)).toEqual(Object.keys(freeBody as object));
    expect(takenBody).toEqual({ status: "check_email", email: owner.email });
    expect(await count("SELECT COUNT(*) AS n FROM users WHERE username = ?", probeName)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM users WHERE email = ?", owner.email)).toBe(1);
    // The free address gets a link; the taken one a notice without a link.
    expect((await mailbox(freeEmail)).map((m) => m.subject)).toEqual(["Verify your email address"]);
    const notices = (await mailbox(owner.email)).filter((m) => /Someone tried to sign up/.test(m.subject));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).not.toMatch(/token=/);
  });

  it("holds the attempted name, so signing it up again answers 409 in both cases", async () => {
    const owner = await createUser();
    const [afterFree, afterTaken] = [uniqueUsername("a"), uniqueUsername("b")];
    expect((await signup(afterFree, `${afterFree}@example.com`)).status).toBe(202);
    expect((await signup(afterTaken, owner.email)).status).toBe(202);
    await expectProblem(await signup(afterFree, `${uniqueUsername()}@example.com`), 409, "conflict");
    await expectProblem(await signup(afterTaken, `${uniqueUsername()}@example.com`), 409, "conflict");
  });

  it("answers 409 for a taken username whatever the email", async () => {
    const owner = await createUser();
    await expectProblem(await signup(owner.username, `${uniqueUsername()}@example.com`), 409, "conflict");
    await expectProblem(await signup(owner.username, owner.email), 409, "conflict");
  });
});
