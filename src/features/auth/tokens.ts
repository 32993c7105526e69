import { type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import type { AppConfig } from "../../platform/config";
import { newId } from "../../platform/ids";

type JwtConfig = AppConfig["jwt"];

/** Access tokens are JWTs typed `at+jwt` (RFC 9068), so no other JWT can stand in for one. */
const ACCESS_TOKEN_TYPE = "at+jwt";
const ALGORITHM = "HS256";
/** Tolerated clock skew between the issuing and the verifying machine. */
const CLOCK_TOLERANCE_SECONDS = 30;

export type Role = "user" | "moderator" | "admin";
const ROLES: readonly string[] = ["user", "moderator", "admin"] satisfies Role[];

/** Who an access token speaks for: the account, its session (the refresh family) and its role. */
export interface AccessClaims {
  userId: string;
  /** The refresh family the token was issued from: revoking it ends the token at once. */
  sessionId: string;
  role: Role;
}

export async function signAccessToken(jwt: JwtConfig, claims: AccessClaims, now: Date): Promise<string> {
  const [key] = jwt.keys;
  if (!key) throw new Error("no JWT signing key");
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ sid: claims.sessionId, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid })
    .setIssuer(jwt.issuer)
    .setAudience(jwt.audience)
    .setSubject(claims.userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + jwt.accessTtlSeconds)
    .setJti(newId(now.getTime()))
    .sign(key.secret);
}

/**
 * Tokens this isolate has already verified, per JWT configuration (a new key set is a new map): a
 * client sends the same access token on every request of its lifetime, and verifying it (HMAC,
 * JSON, the claims) was ~140 µs of each signed-in request's CPU (README "Benchmarks"). Only
 * successes are kept, each until its own `exp`; whether its session still stands is checked in D1
 * on every request either way. Bounded: emptied when full.
 */
const verified = new WeakMap<JwtConfig, Map<string, { claims: AccessClaims; exp: number }>>();
const VERIFIED_MAX = 10_000;

/**
 * Returns the claims of a valid access token, or null for anything else: a wrong or missing
 * `alg`, `kid`, `typ`, `iss`, `aud`, `exp`, `iat`, `sub`, `sid` or `role`, a bad signature, garbage.
 * Whether the session still stands is checked against D1 with the request's first query
 * (platform/session-guard.ts). jose can throw
 * a plain TypeError for some malformed inputs (another algorithm's key shape), so every failure is
 * caught here and becomes a 401, never a 500 (RFC 8725 §3.1; jose 6 throws a plain TypeError for some wrong-algorithm tokens).
 */
export async function verifyAccessToken(
  jwt: JwtConfig,
  token: string,
  nowSeconds = Date.now() / 1000,
): Promise<AccessClaims | null> {
  let memo = verified.get(jwt);
  if (!memo) {
    memo = new Map();
    verified.set(jwt, memo);
  }
  const known = memo.get(token);
  if (known) {
    // jose's own expiry rule: expired once `exp` is more than the tolerance in the past.
    if (nowSeconds < known.exp + CLOCK_TOLERANCE_SECONDS) return known.claims;
    memo.delete(token);
    return null;
  }
  try {
    const { payload } = await jwtVerify(
      token,
      (header: JWTHeaderParameters) => {
        const key = jwt.keys.find((k) => k.kid === header.kid);
        if (!header.kid || !key) throw new Error("unknown kid");
        return key.secret;
      },
      {
        algorithms: [ALGORITHM],
        issuer: jwt.issuer,
        audience: jwt.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "sub", "sid", "role"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
      },
    );
    const { sub, sid, role, exp } = payload;
    if (typeof sub !== "string" || sub.length === 0 || typeof sid !== "string" || sid.length === 0) return null;
    if (typeof role !== "string" || !ROLES.includes(role) || typeof exp !== "number") return null;
    const claims: AccessClaims = { userId: sub, sessionId: sid, role: role as Role };
    if (memo.size >= VERIFIED_MAX) memo.clear();
    memo.set(token, { claims, exp });
    return claims;
  } catch {
    return null;
  }
}
