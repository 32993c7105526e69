import { env } from "cloudflare:workers";
import { SignJWT, UnsecuredJWT } from "jose";
import { createUser } from "./factories";

const encoder = new TextEncoder();

/** The keys the Worker under test trusts, from its own configuration. */
export function trustedKeys(): { kid: string; secret: Uint8Array }[] {
  return env.JWT_KEYS.split(",").map((pair) => {
    const i = pair.indexOf(":");
    return { kid: pair.slice(0, i), secret: encoder.encode(pair.slice(i + 1)) };
  });
}

interface TokenOptions {
  sub?: string;
  iss?: string;
  aud?: string;
  typ?: string | null;
  kid?: string | null;
  secret?: Uint8Array;
  /** Seconds relative to now; null leaves the claim out. */
  exp?: number | null;
  iat?: number | null;
  nbf?: number;
  /** The session (refresh family) and role claims; null leaves the claim out. */
  sid?: string | null;
  role?: string | null;
}

/** Signs an access token the way an attacker (or a broken issuer) might, field by field. */
export async function forgeToken(options: TokenOptions = {}): Promise<string> {
  const [key] = trustedKeys();
  if (!key) throw new Error("no JWT key configured for tests");
  const now = Math.floor(Date.now() / 1000);
  const header: { alg: string; typ?: string; kid?: string } = { alg: "HS256" };
  const typ = options.typ === undefined ? "at+jwt" : options.typ;
  const kid = options.kid === undefined ? key.kid : options.kid;
  if (typ !== null) header.typ = typ;
  if (kid !== null) header.kid = kid;
  const claims: Record<string, string> = {};
  const sid = options.sid === undefined ? "01JSESSIONAAAAAAAAAAAAAAAA" : options.sid;
  const role = options.role === undefined ? "user" : options.role;
  if (sid !== null) claims.sid = sid;
  if (role !== null) claims.role = role;
  const jwt = new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuer(options.iss ?? env.JWT_ISSUER)
    .setAudience(options.aud ?? env.JWT_AUDIENCE)
    .setSubject(options.sub ?? "01JAAAAAAAAAAAAAAAAAAAAAAA");
  if (options.iat !== null) jwt.setIssuedAt(now + (options.iat ?? 0));
  if (options.exp !== null) jwt.setExpirationTime(now + (options.exp ?? 900));
  if (options.nbf !== undefined) jwt.setNotBefore(now + options.nbf);
  return jwt.sign(options.secret ?? key.secret);
}

/**
 * The credentials every protected route must refuse with 401 problem+json and
 * `WWW-Authenticate: Bearer`, never a 500 and never the resource. Each gives the Authorization
 * header to send (undefined: none). test/contract/auth-matrix.test.ts runs them against every
 * operation the OpenAPI document marks with `bearerAuth`.
 */
export const TOKEN_CASES: [string, () => Promise<string | undefined>][] = [
  ["no Authorization header", async () => undefined],
  ["a bare Bearer", async () => "Bearer"],
  ["a malformed token", async () => "Bearer a.b"],
  ["a Basic credential", async () => "Basic YWxpY2U6cGFzc3dvcmQ="],
  ["a 20 KB header", async () => `Bearer ${"a".repeat(20_000)}.b.c`],
  ["an expired token", async () => `Bearer ${await forgeToken({ exp: -60, iat: -960 })}`],
  ["a token without exp", async () => `Bearer ${await forgeToken({ exp: null })}`],
  ["a token without iat", async () => `Bearer ${await forgeToken({ iat: null })}`],
  ["a token not valid yet", async () => `Bearer ${await forgeToken({ nbf: 300 })}`],
  ["a wrong audience", async () => `Bearer ${await forgeToken({ aud: "someone-else" })}`],
  ["a wrong issuer", async () => `Bearer ${await forgeToken({ iss: "https://evil.example" })}`],
  ["a wrong typ", async () => `Bearer ${await forgeToken({ typ: "JWT" })}`],
  ["a token without sid", async () => `Bearer ${await forgeToken({ sid: null })}`],
  ["a token without role", async () => `Bearer ${await forgeToken({ role: null })}`],
  ["a made-up role", async () => `Bearer ${await forgeToken({ role: "superuser" })}`],
  ["no kid", async () => `Bearer ${await forgeToken({ kid: null })}`],
  ["an unknown kid", async () => `Bearer ${await forgeToken({ kid: "retired-key" })}`],
  [
    "a key the server does not hold",
    async () => `Bearer ${await forgeToken({ secret: encoder.encode("attacker-secret-0123456789abcdefghijklmnop") })}`,
  ],
  [
    "alg none",
    async () =>
      `Bearer ${new UnsecuredJWT({ sub: "admin" })
        .setIssuer(env.JWT_ISSUER)
        .setAudience(env.JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("15m")
        .encode()}`,
  ],
  [
    "another algorithm (HS512)",
    async () => {
      const [key] = trustedKeys();
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: "HS512", typ: "at+jwt", kid: key?.kid })
        .setIssuer(env.JWT_ISSUER)
        .setAudience(env.JWT_AUDIENCE)
        .setSubject("x")
        .setIssuedAt()
        .setExpirationTime("15m")
        .sign(new Uint8Array(64).fill(7));
      return `Bearer ${token}`;
    },
  ],
  [
    "an RS256 header on an HMAC token (algorithm confusion)",
    async () => {
      const real = await forgeToken();
      const [, payload, signature] = real.split(".");
      const header = btoa(JSON.stringify({ alg: "RS256", typ: "at+jwt", kid: trustedKeys()[0]?.kid }))
        .replace(/=+$/, "")
        .replace(/\+/g, "-")
        .replace(/\//g, "_");
      return `Bearer ${header}.${payload}.${signature}`;
    },
  ],
  [
    "a tampered payload",
    async () => {
      const user = await createUser();
      const [header, , signature] = user.accessToken.split(".");
      const payload = btoa(JSON.stringify({ sub: "someone-else", exp: 9999999999, iat: 1 })).replace(/=+$/, "");
      return `Bearer ${header}.${payload}.${signature}`;
    },
  ],
  [
    "a refresh token used as an access token",
    async () => {
      const user = await createUser();
      return `Bearer ${user.refreshToken}`;
    },
  ],
];
