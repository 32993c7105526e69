/** Small WebCrypto helpers shared by tokens, cursors and signed URLs. */
import { base64url } from "jose";

const encoder = new TextEncoder();
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function base64UrlEncode(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}

/** Standard base64 (with padding), as `data:` URLs take it. */
export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/**
 * Null for anything that is not unpadded base64url. The alphabet is checked here because the
 * decoder underneath is lenient: it also takes padding and skips whitespace, and a token, cursor
 * or signature must have exactly one spelling.
 */
export function base64UrlDecode(text: string): Uint8Array | null {
  if (!BASE64URL.test(text)) return null;
  try {
    return base64url.decode(text);
  } catch {
    return null;
  }
}

export function randomToken(bytes = 32): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

const hex = (digest: ArrayBuffer) => [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** SHA-256 (hex) of a stream, hashed as it flows (workerd's DigestStream): the bytes are never all in memory. */
export async function sha256HexOfStream(body: ReadableStream<Uint8Array>): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await body.pipeTo(digest);
  return hex(await digest.digest);
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function hmacSha256(secret: string, data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), bytes));
}

/**
 * Compares in time independent of where the inputs differ. Lengths are compared first: the
 * runtime's compare throws on unequal lengths, and a length is no secret here (MACs and hashes
 * have a fixed size).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
