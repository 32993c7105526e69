import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { forgeToken } from "../helpers/auth-matrix";
import { createUser } from "../helpers/factories";

const INVALID_TOKEN = /^Bearer realm="edgegram", error="invalid_token"$/;

/**
 * A client refreshes its access token when a request answers 401, but must not when the 401 is
 * about something else (a wrong password): refreshing would not help, and retrying would count the
 * wrong password twice. RFC 6750's `error="invalid_token"` marks the token's own failures.
 */
describe("401 challenges", () => {
  it("mark a bad, expired or ended token as invalid_token", async () => {
    const ana = await createUser();
    const expired = await forgeToken({ sub: ana.id, exp: -60, iat: -960 });
    for (const token of ["not.a.token", expired]) {
      const res = await api("GET", "/v1/me", { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(INVALID_TOKEN);
    }
    await api("POST", "/v1/auth/logout", { body: { refresh_token: ana.refreshToken } });
    const ended = await api("GET", "/v1/me", { token: ana.accessToken });
    expect(ended.status).toBe(401);
    expect(ended.headers.get("www-authenticate")).toMatch(INVALID_TOKEN);
  });

  it("do not when the token is missing, or when the 401 is about a wrong password", async () => {
    const ana = await createUser();
    const missing = await api("GET", "/v1/me");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="edgegram"');
    const wrong = await api("PUT", "/v1/me/password", {
      token: ana.accessToken,
      body: { current_password: "not the password at all", new_password: "another fine password" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="edgegram"');
  });
});
