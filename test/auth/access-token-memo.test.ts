import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken, verifyAccessToken } from "../../src/features/auth/tokens";
import { configFor } from "../../src/platform/config";
import { api } from "../helpers/api";
import { createUser } from "../helpers/factories";

const jwt = configFor(env).jwt;
const claims = { userId: "01M8USER0000000000000000AA", sessionId: "01M8SESS0000000000000000AA", role: "user" as const };

/**
 * Verified access tokens are kept per isolate (features/auth/tokens.ts): a repeat costs no HMAC.
 * What the memo must never do: outlive the token's expiry, keep a failure, serve another key set,
 * or keep a token alive after its session ended (that check is D1's, on every request).
 */
describe("verified access tokens, kept per isolate", () => {
  it("answers a repeat from the memo, and stops at the token's own expiry", async () => {
    const now = new Date();
    const token = await signAccessToken(jwt, claims, now);
    const first = await verifyAccessToken(jwt, token);
    expect(first).toEqual(claims);
    // The same object: the second answer came from the memo, not from a second verification.
    expect(await verifyAccessToken(jwt, token)).toBe(first);
    const expiry = now.getTime() / 1000 + jwt.accessTtlSeconds;
    expect(await verifyAccessToken(jwt, token, expiry + 29)).toBe(first);
    expect(await verifyAccessToken(jwt, token, expiry + 31)).toBeNull();
    // Dropped from the memo once seen expired: the next call verifies afresh (at the real time, valid).
    expect(await verifyAccessToken(jwt, token)).not.toBe(first);
  });

  it("keeps no failure, and is per key set: another secret's memo does not accept the token", async () => {
    const token = await signAccessToken(jwt, claims, new Date());
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    expect(await verifyAccessToken(jwt, tampered)).toBeNull();
    expect(await verifyAccessToken(jwt, tampered)).toBeNull();
    expect(await verifyAccessToken(jwt, token)).toEqual(claims);
    const rotated = { ...jwt, keys: [{ kid: "other", secret: new TextEncoder().encode("x".repeat(48)) }] };
    expect(await verifyAccessToken(rotated, token)).toBeNull();
  });

  it("still ends a memoized token's access when its session ends (checked in D1 per request)", async () => {
    const ana = await createUser();
    expect((await api("GET", "/v1/me", { token: ana.accessToken })).status).toBe(200);
    expect((await api("GET", "/v1/me", { token: ana.accessToken })).status).toBe(200);
    await api("POST", "/v1/auth/logout", { body: { refresh_token: ana.refreshToken } });
    expect((await api("GET", "/v1/me", { token: ana.accessToken })).status).toBe(401);
  });
});
