import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "../../platform/crypto";

/**
 * Capability URLs for uploads and deliveries: HMAC-SHA256 over everything the URL grants (media
 * id, owner, size and type for an upload; media id and size for a delivery) and its expiry.
 * Changing any part, or using it after `exp`, makes it worthless.
 */
const MAC_BYTES = 16;

/**
 * Signatures already computed in this isolate, per secret. A signature is a pure function of its
 * inputs, and delivery URLs repeat by design (their expiry is aligned to a window, so a photo's
 * URLs are the same for every reader within it): a feed page re-reading popular photos then
 * costs no HMAC. Bounded: emptied when full (the next window's URLs replace the old anyway).
 */
const memos = new Map<string, Map<string, string>>();
const MEMO_MAX = 5_000;

export async function sign(secret: string, purpose: string, parts: (string | number)[]): Promise<string> {
  const text = [purpose, ...parts].join("\n");
  let memo = memos.get(secret);
  if (!memo) {
    memo = new Map();
    memos.set(secret, memo);
  }
  const known = memo.get(text);
  if (known !== undefined) return known;
  const signature = base64UrlEncode((await hmacSha256(secret, text)).slice(0, MAC_BYTES));
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(text, signature);
  return signature;
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
