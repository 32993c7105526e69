import { type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import type { AppConfig } from "../../platform/config";
import { newId } from "../../platform/ids";

type JwtConfig = AppConfig["jwt"];

/** Access tokens are JWTs typed `at+jwt` (RFC 9068), so no other JWT can stand in for one. */
const ACCESS_TOKEN_TYPE = "at+jwt";
const ALGORITHM = "HS256";
/** Tolerated clock skew between the issuing and the verifying machine. */
const CLOCK_TOLERANCE_SECONDS = 30;

export async function signAccessToken(jwt: JwtConfig, userId: string, now: Date): Promise<string> {
  const [key] = jwt.keys;
  if (!key) throw new Error("no JWT signing key");
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: key.kid })
    .setIssuer(jwt.issuer)
    .setAudience(jwt.audience)
    .setSubject(userId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + jwt.accessTtlSeconds)
    .setJti(newId(now.getTime()))
    .sign(key.secret);
}

/**
 * Returns the user id of a valid access token, or null for anything else: a wrong or missing
 * `alg`, `kid`, `typ`, `iss`, `aud`, `exp`, `iat` or `sub`, a bad signature, garbage. jose can throw
 * a plain TypeError for some malformed inputs (another algorithm's key shape), so every failure is
 * caught here and becomes a 401, never a 500 (RFC 8725 §3.1; jose 6 throws a plain TypeError for some wrong-algorithm tokens).
 */
export async function verifyAccessToken(jwt: JwtConfig, token: string): Promise<string | null> {
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
        requiredClaims: ["exp", "iat", "sub"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      },
    );
    return typeof payload.sub === "string" && payload.sub.length > 0 ? payload.sub : null;
  } catch {
    return null;
  }
}
