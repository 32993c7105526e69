import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser, type SessionBody } from "../helpers/factories";

const login = (login: string, password: string, ip?: string) =>
  api("POST", "/v1/auth/login", { body: { login, password }, ip });
const refresh = (token: string) => api("POST", "/v1/auth/refresh", { body: { refresh_token: token } });
const me = (token: string) => api("GET", "/v1/me", { token });

describe("POST /v1/auth/login", () => {
  describe("happy", () => {
    it("signs in with a username in any case, or with an email", async () => {
      const user = await createUser();
      const byName = await login(user.username.toUpperCase(), user.password);
      expect(byName.status).toBe(200);
      const session = (await byName.json()) as SessionBody;
      expect(session.user.id).toBe(user.id);
      expect((await me(session.access_token)).status).toBe(200);

      const byEmail = await login(` ${user.email.toUpperCase()} `, user.password);
      expect(byEmail.status).toBe(200);
    });

    it("accepts the password in another Unicode normal form (NFKC)", async () => {
      const user = await createUser({ password: "ｆｕｌｌｗｉｄｔｈ pass" });
      const res = await login(user.username, "fullwidth pass");
      expect(res.status).toBe(200);
    });
  });

  describe("errors", () => {
    it("gives a wrong password and an unknown user the same 401", async () => {
      const user = await createUser();
      const wrong = await login(user.username, "not the password");
      const unknown = await login("nobody_here_at_all", "not the password");
      const a = await expectProblem(wrong, 401, "unauthorized");
      const b = await expectProblem(unknown, 401, "unauthorized");
      expect({ ...a, request_id: "" }).toEqual({ ...b, request_id: "" });
      const headerNames = (r: Response) => [...r.headers.keys()].sort();
      expect(headerNames(wrong)).toEqual(headerNames(unknown));
    });

    it("answers 422 for a missing password or an unknown field", async () => {
      await expectProblem(await api("POST", "/v1/auth/login", { body: { login: "x" } }), 422, "validation_failed");
      await expectProblem(
        await api("POST", "/v1/auth/login", { body: { login: "x", password: "y", remember: true } }),
        422,
        "validation_failed",
      );
    });
  });

  describe("rate limits", () => {
    it("answers 429 after 10 attempts a minute from one address", WAITS_FOR_A_WINDOW, async () => {
      await startInOneWindow(60, 10_000);
      const ip = freshIp();
      const statuses: number[] = [];
      // Different logins each time, so only the per-address limit can trip.
      for (let i = 0; i < 11; i++) statuses.push((await login(`someone_${i}_x`, "wrong password", ip)).status);
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
    });

    it(
      "answers 429 after 5 attempts a minute on one account from many addresses, alike for real and unknown accounts",
      WAITS_FOR_A_WINDOW,
      async () => {
        await startInOneWindow(60, 15_000);
        const user = await createUser();
        const attempt = async (name: string) => {
          const statuses: number[] = [];
          let last: Response | undefined;
          for (let i = 0; i < 6; i++) {
            last = await login(name, "wrong password", freshIp());
            statuses.push(last.status);
          }
          return { statuses, last };
        };
        const real = await attempt(user.username);
        const fake = await attempt("made_up_account");
        expect(real.statuses).toEqual([401, 401, 401, 401, 401, 429]);
        expect(fake.statuses).toEqual(real.statuses);
        expect(real.last?.headers.get("retry-after")).toBe("60");
        // Locked out even with the right password until the window passes.
        expect((await login(user.username, user.password, freshIp())).status).toBe(429);
      },
    );
  });
});

describe("POST /v1/auth/refresh", () => {
  it("rotates: the new pair works and the old refresh token stops working", async () => {
    const user = await createUser();
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as SessionBody;
    expect(rotated.refresh_token).not.toBe(user.refreshToken);
    expect((await me(rotated.access_token)).status).toBe(200);

    const second = await refresh(rotated.refresh_token);
    expect(second.status).toBe(200);
  });

  it("revokes the whole family when a rotated token is reused, and records it", async () => {
    const user = await createUser();
    const rotated = (await (await refresh(user.refreshToken)).json()) as SessionBody;

    // The old token comes back (a thief replaying it): 401, and the family dies with it.
    await expectProblem(await refresh(user.refreshToken), 401, "unauthorized");
    await expectProblem(await refresh(rotated.refresh_token), 401, "unauthorized");

    const live = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(live?.n).toBe(0);
    const events = await env.DB.prepare("SELECT kind FROM auth_events WHERE user_id = ?")
      .bind(user.id)
      .all<{ kind: string }>();
    expect(events.results.map((e) => e.kind)).toContain("refresh_token_reuse");

    // Other sessions of the same account are other families and keep working.
    const other = (await (await login(user.username, user.password)).json()) as SessionBody;
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it("lets exactly one of five concurrent refreshes with one token succeed", async () => {
    const user = await createUser();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(user.refreshToken)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM refresh_tokens WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    // The original and exactly one successor: no family explosion.
    expect(rows?.n).toBe(2);
  });

  it("answers 401 for an unknown or expired token, and 422 for a missing one", async () => {
    await expectProblem(await refresh("not-a-real-token"), 401, "unauthorized");
    const user = await createUser();
    await env.DB.prepare("UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), user.id)
      .run();
    await expectProblem(await refresh(user.refreshToken), 401, "unauthorized");
    await expectProblem(await api("POST", "/v1/auth/refresh", { body: {} }), 422, "validation_failed");
  });
});

describe("POST /v1/auth/logout", () => {
  it("answers 204 and the refresh token stops working", async () => {
    const user = await createUser();
    const res = await api("POST", "/v1/auth/logout", { body: { refresh_token: user.refreshToken } });
    expect(res.status).toBe(204);
    await expectProblem(await refresh(user.refreshToken), 401, "unauthorized");
  });

  it("answers 204 for an unknown token too, and 422 for a missing one", async () => {
    expect((await api("POST", "/v1/auth/logout", { body: { refresh_token: "unknown" } })).status).toBe(204);
    await expectProblem(await api("POST", "/v1/auth/logout", { body: {} }), 422, "validation_failed");
  });
});
