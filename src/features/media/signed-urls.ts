import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "../../platform/crypto";

/**
 * Capability URLs for uploads and deliveries: HMAC-SHA256 over everything the URL grants (media
 * id, owner, size and type for an upload; media id and size for a delivery) and its expiry.
 * Changing any part, or using it after `exp`, makes it worthless.
 */
const MAC_BYTES = 16;

export async function sign(secret: string, purpose: string, parts: (string | number)[]): Promise<string> {
  return base64UrlEncode((await hmacSha256(secret, [purpose, ...parts].join("\n"))).slice(0, MAC_BYTES));
}

export async function verify(
  secret: string,
  purpose: string,
  parts: (string | number)[],
  signature: string | undefined,
  exp: number,
  nowSeconds: number,
): Promise<boolean> {
  if (!signature || !Number.isSafeInteger(exp) || exp < nowSeconds) return false;
  const given = base64UrlDecode(signature);
  const expected = base64UrlDecode(await sign(secret, purpose, parts));
  return given !== null && expected !== null && timingSafeEqual(given, expected);
}
