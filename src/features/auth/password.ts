import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "../../platform/crypto";

/**
 * Password hashing: PBKDF2-SHA256 through WebCrypto, peppered, in a self-describing format
 * `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url) so the cost can be raised later and old
 * hashes still verify.
 *
 * 100,000 iterations is the most production Workers allow: WebCrypto there throws above it, while
 * local workerd silently accepts more (OWASP would like 600,000; the pepper makes up part of the
 * gap). A stored hash that claims more is refused without deriving, so a crafted row cannot burn
 * CPU or behave differently in production (docs/security.md B15).
 */
export const PBKDF2_ITERATIONS = 100_000;
export const MAX_PBKDF2_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const SCHEME = "pbkdf2-sha256";

const encoder = new TextEncoder();

/** NFKC so that the same password typed on different keyboards hashes the same. */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

async function derive(password: string, pepper: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  // The pepper keys an HMAC of the password; PBKDF2 then stretches that. A database dump
  // without the pepper secret cannot be attacked offline.
  const peppered = await hmacSha256(pepper, encoder.encode(normalizePassword(password)));
  const material = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, pepper: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be between 1 and ${MAX_PBKDF2_ITERATIONS}`);
  }
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, pepper, salt, iterations);
  return `${SCHEME}$${iterations}$${base64UrlEncode(salt)}$${base64UrlEncode(hash)}`;
}

export async function verifyPassword(password: string, stored: string, pepper: string): Promise<boolean> {
  const [scheme, iterationsText, saltText, hashText, extra] = stored.split("$");
  if (scheme !== SCHEME || extra !== undefined || !iterationsText || !saltText || !hashText) return false;
  if (!/^[1-9][0-9]{0,6}$/.test(iterationsText)) return false;
  const iterations = Number(iterationsText);
  if (iterations > MAX_PBKDF2_ITERATIONS) return false;
  const salt = base64UrlDecode(saltText);
  const expected = base64UrlDecode(hashText);
  if (!salt || !expected || expected.length * 8 !== HASH_BITS) return false;
  const actual = await derive(password, pepper, salt, iterations);
  return timingSafeEqual(actual, expected);
}

/**
 * Verifying against this when the login names no account costs the same as a real check, so the
 * response time does not tell whether an account exists (docs/security.md B13).
 */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$${"A".repeat(22)}$${"A".repeat(43)}`;
