import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser, type SessionBody, uniqueUsername } from "../helpers/factories";

describe("POST /v1/auth/signup", () => {
  describe("happy", () => {
    it("creates an account, answers 202 without a session, and the account can sign in", async () => {
      const username = uniqueUsername("Alice");
      const res = await api("POST", "/v1/auth/signup", {
        body: {
          username,
          email: ` ${username.toUpperCase()}@Example.COM `,
          password: "correct horse",
          display_name: "Alice",
        },
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: "check_email", email: `${username.toLowerCase()}@example.com` });
      const login = await api("POST", "/v1/auth/login", { body: { login: username, password: "correct horse" } });
      expect(login.status).toBe(200);
      const body = (await login.json()) as SessionBody & { user: Record<string, unknown> };
      expect(body.user.username).toBe(username.toLowerCase());
      expect(body.user.email).toBe(`${username.toLowerCase()}@example.com`);
      expect(body.user.email_verified).toBe(false);
      expect(body.user.display_name).toBe("Alice");
      expect(body.user.followers_count).toBe(0);
      expect(body.token_type).toBe("Bearer");
      expect(body.expires_in).toBe(900);
      expect(body.access_token.split(".")).toHaveLength(3);
      expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(body.user).not.toHaveProperty("password_hash");
    });

    it("stores a peppered PBKDF2 hash at 100,000 iterations, never the password", async () => {
      const user = await createUser({ password: "a very secret phrase" });
      const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?")
        .bind(user.id)
        .first<{ password_hash: string }>();
      expect(row?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(row?.password_hash).not.toContain("secret");
    });

    it("stores only a hash of the refresh token", async () => {
      const user = await createUser();
      const rows = await env.DB.prepare("SELECT token_hash FROM refresh_tokens WHERE user_id = ?")
        .bind(user.id)
        .all<{ token_hash: string }>();
      expect(rows.results).toHaveLength(1);
      expect(rows.results[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows.results[0]?.token_hash).not.toBe(user.refreshToken);
    });
  });

  describe("errors", () => {
    it("answers 409 for a username taken in another case, and a taken email exactly like a free one", async () => {
      const user = await createUser();
      const sameName = await api("POST", "/v1/auth/signup", {
        body: { username: user.username.toUpperCase(), email: "other@example.com", password: "correct horse" },
      });
      await expectProblem(sameName, 409, "conflict");
      // docs/security.md B13: sign-up is not an email oracle (test/account/signup-enumeration.test.ts).
      const probe = uniqueUsername();
      const sameEmail = await api("POST", "/v1/auth/signup", {
        body: { username: probe, email: user.email.toUpperCase(), password: "correct horse" },
      });
      expect(sameEmail.status).toBe(202);
      expect(await sameEmail.json()).toEqual({ status: "check_email", email: user.email });
      const row = await env.DB.prepare("SELECT id FROM users WHERE username = ?").bind(probe).first();
      expect(row).toBeNull();
    });

    it("creates exactly one account when five sign-ups race for one username", WAITS_FOR_A_WINDOW, async () => {
      // Five: the per-name sign-up limit (5 a minute) would turn a sixth into a 429.
      await startInOneWindow(60, 10_000);
      const username = uniqueUsername("race");
      const responses = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          api("POST", "/v1/auth/signup", {
            body: { username, email: `race${i}@example.com`, password: "correct horse" },
          }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 202)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(4);
      const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE username = ?")
        .bind(username)
        .first<{ n: number }>();
      expect(count?.n).toBe(1);
      const orphans = await env.DB.prepare(
        "SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id NOT IN (SELECT id FROM users)",
      ).first<{ n: number }>();
      expect(orphans?.n).toBe(0);
    });

    it.each([
      ["an empty username", { username: "", email: "a@example.com", password: "correct horse" }, "username"],
      [
        "a 31-character username",
        { username: "a".repeat(31), email: "a@example.com", password: "correct horse" },
        "username",
      ],
      ["a username with a dash", { username: "al-ice", email: "a@example.com", password: "correct horse" }, "username"],
      ["an invalid email", { username: "valid_name", email: "not-an-email", password: "correct horse" }, "email"],
      ["a 7-character password", { username: "valid_name", email: "a@example.com", password: "1234567" }, "password"],
      [
        "a 257-character password",
        { username: "valid_name", email: "a@example.com", password: "p".repeat(257) },
        "password",
      ],
      ["a number as password", { username: "valid_name", email: "a@example.com", password: 12345678 }, "password"],
      ["a missing email", { username: "valid_name", password: "correct horse" }, "email"],
    ])("answers 422 for %s", async (_label, body, field) => {
      const problem = await expectProblem(await api("POST", "/v1/auth/signup", { body }), 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    });

    it("answers 422 for unknown fields and creates nothing (no mass assignment)", async () => {
      const username = uniqueUsername();
      const res = await api("POST", "/v1/auth/signup", {
        body: {
          username,
          email: `${username}@example.com`,
          password: "correct horse",
          is_admin: true,
          followers_count: 1e9,
        },
      });
      const problem = await expectProblem(res, 422, "validation_failed");
      expect(problem.errors).toEqual([
        { path: "is_admin", message: "Unknown field" },
        { path: "followers_count", message: "Unknown field" },
      ]);
      const row = await env.DB.prepare("SELECT id FROM users WHERE username = ?").bind(username).first();
      expect(row).toBeNull();
    });

    it("answers 422 for __proto__ keys and leaves Object.prototype alone", async () => {
      const res = await api("POST", "/v1/auth/signup", {
        rawBody:
          '{"username":"proto_user","email":"p@example.com","password":"correct horse","__proto__":{"isAdmin":true}}',
        headers: { "content-type": "application/json" },
      });
      await expectProblem(res, 422, "validation_failed");
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it("answers 400 for malformed JSON and 415 for a non-JSON body", async () => {
      const malformed = await api("POST", "/v1/auth/signup", {
        rawBody: '{"username": "x",',
        headers: { "content-type": "application/json" },
      });
      await expectProblem(malformed, 400, "bad_request");
      const form = await api("POST", "/v1/auth/signup", {
        rawBody: "username=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      await expectProblem(form, 415, "unsupported_media_type");
    });

    it("answers 413 when the declared body is over the cap", async () => {
      const res = await api("POST", "/v1/auth/signup", {
        body: { username: "big", email: "big@example.com", password: "x".repeat(70_000) },
      });
      await expectProblem(res, 413, "payload_too_large");
    });

    it("answers 413 for a streamed body over the cap that declares no length", async () => {
      const chunk = new TextEncoder().encode(`{"username":"stream","password":"${"x".repeat(1000)}`);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > 100) controller.close();
          else controller.enqueue(chunk);
          sent++;
        },
      });
      const res = await api("POST", "/v1/auth/signup", {
        rawBody: stream,
        headers: { "content-type": "application/json" },
      });
      await expectProblem(res, 413, "payload_too_large");
    });

    it("answers 413 for a body over the cap that declares a small Content-Length, counting the body", async () => {
      // Only a Request made inside the runtime can carry such a header: over HTTP the body is cut
      // at the declared length (test/http/body-limits.test.ts).
      const res = await api("POST", "/v1/auth/signup", {
        body: { username: "liar", email: "liar@example.com", password: "x".repeat(100_000) },
        headers: { "content-length": "10" },
      });
      await expectProblem(res, 413, "payload_too_large");
    });
  });

  describe("rate limits", () => {
    it(
      "answers 429 after 5 sign-up attempts a minute for one username from many addresses",
      WAITS_FOR_A_WINDOW,
      async () => {
        await startInOneWindow(60, 10_000);
        const username = uniqueUsername("popular");
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const res = await api("POST", "/v1/auth/signup", {
            body: { username, email: `popular${i}@example.com`, password: "correct horse" },
          });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([202, 409, 409, 409, 409, 429]);
      },
    );

    it(
      "answers 429 after 5 sign-up attempts a minute for one email under many usernames from many addresses",
      WAITS_FOR_A_WINDOW,
      async () => {
        // Sign-up answers a taken email like a free one (202); this limit also slows mail-bombing
        // one address with fresh usernames, whatever case the email is written in.
        await startInOneWindow(60, 10_000);
        const email = `${uniqueUsername("probe")}@example.com`;
        const statuses: number[] = [];
        let last: Response | undefined;
        for (let i = 0; i < 6; i++) {
          last = await api("POST", "/v1/auth/signup", {
            body: {
              username: uniqueUsername("probe"),
              email: i % 2 ? email.toUpperCase() : email,
              password: "correct horse",
            },
          });
          statuses.push(last.status);
        }
        expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
        expect(last?.headers.get("retry-after")).toBe("60");
        const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE email = ?")
          .bind(email)
          .first<{ n: number }>();
        expect(count?.n).toBe(1);
      },
    );

    it("answers 429 with retry-after after 5 sign-ups a minute from one address", WAITS_FOR_A_WINDOW, async () => {
      await startInOneWindow(60, 10_000);
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const username = uniqueUsername("rl");
        const res = await api("POST", "/v1/auth/signup", {
          ip,
          body: { username, email: `${username}@example.com`, password: "correct horse" },
        });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.headers.get("retry-after")).toBe("60");
          await expectProblem(res, 429, "rate_limited");
        }
      }
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    });
  });
});
