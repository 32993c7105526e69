import { buildPushPayload } from "@block65/webcrypto-web-push";
import { base64UrlBytes, type VapidConfig } from "./config";

/**
 * Web Push: RFC 8291 (`aes128gcm` message encryption) and RFC 8292 (VAPID) through
 * `@block65/webcrypto-web-push`, which uses only WebCrypto and so runs on Workers. This is the only
 * module that touches the library. The endpoint is a URL a client gave us, so everything here
 * treats it as hostile: it is checked again before each send, redirects are never followed, and
 * each request has a deadline (docs/security.md, push rows).
 */

/** The most a push payload may hold, in UTF-8 bytes (a short text and ids, never a post's content). */
export const MAX_PUSH_PAYLOAD_BYTES = 3072;
/** How long one push service request may take before it counts as a failure to retry. */
export const PUSH_TIMEOUT_MS = 10_000;
export const MAX_ENDPOINT_LENGTH = 1000;

/** What a subscription holds: where to send, and the browser's keys (base64url). */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** Seconds the push service keeps the message for an offline browser (RFC 8030 §5.2). */
  ttl: number;
  /** Messages with the same topic replace each other while queued (RFC 8030 §5.4): ≤ 32 base64url characters. */
  topic?: string;
  urgency?: "normal" | "high";
}

export type PushOutcome =
  | { kind: "sent" }
  /** 404 or 410: the subscription no longer exists; delete it. */
  | { kind: "gone"; status: number }
  /** 429, 5xx, a network error or the timeout: try again later. */
  | { kind: "retry"; status: number | null; detail: string }
  /** Another 4xx, a redirect, or (status 0) an endpoint this module refuses to call: retrying will not help. */
  | { kind: "rejected"; status: number };

export interface WebPush {
  /** The VAPID public key, base64url: the `applicationServerKey` browsers subscribe with. */
  publicKey: string;
  /** Encrypts and sends one message. Throws when the payload is over MAX_PUSH_PAYLOAD_BYTES. */
  send(sub: PushTarget, payload: string, opts: PushOptions): Promise<PushOutcome>;
}

export interface WebPushOptions {
  timeoutMs?: number;
}

export function webPushFor(vapid: VapidConfig, options: WebPushOptions = {}): WebPush {
  const timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS;
  const keys = { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey };
  return {
    publicKey: vapid.publicKey,
    async send(sub, payload, opts) {
      const size = new TextEncoder().encode(payload).byteLength;
      if (size > MAX_PUSH_PAYLOAD_BYTES) {
        throw new RangeError(`push payload is ${size} bytes; at most ${MAX_PUSH_PAYLOAD_BYTES} are sent`);
      }
      if (!Number.isSafeInteger(opts.ttl) || opts.ttl < 0) throw new RangeError("push ttl must be a whole number ≥ 0");
      if (opts.topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(opts.topic)) {
        throw new RangeError("push topic must be 1 to 32 base64url characters");
      }
      // Stored endpoints passed this check when they were subscribed; checked again so a row
      // written any other way (or under older rules) is never called.
      if (checkPushEndpoint(sub.endpoint) !== null) return { kind: "rejected", status: 0 };
      const request = await buildPushPayload(
        { data: payload, options: { ttl: opts.ttl } },
        { endpoint: sub.endpoint, expirationTime: null, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        keys,
      );
      const headers: Record<string, string> = { ...request.headers, ttl: String(opts.ttl) };
      if (opts.topic !== undefined) headers.topic = opts.topic;
      if (opts.urgency !== undefined) headers.urgency = opts.urgency;
      let res: Response;
      try {
        res = await fetch(sub.endpoint, {
          method: "POST",
          headers,
          body: request.body,
          // A redirect could point anywhere, including hosts the endpoint check refuses.
          redirect: "manual",
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
        return { kind: "retry", status: null, detail: timedOut ? `no answer within ${timeoutMs} ms` : String(err) };
      }
      await res.body?.cancel();
      return outcomeOf(res.status);
    },
  };
}

/** RFC 8030 §6–8 and the push services' documented answers, as what to do next. */
export function outcomeOf(status: number): PushOutcome {
  if (status >= 200 && status < 300) return { kind: "sent" };
  if (status === 404 || status === 410) return { kind: "gone", status };
  if (status === 429 || status >= 500) return { kind: "retry", status, detail: `push service answered ${status}` };
  if (status >= 300 && status < 500) return { kind: "rejected", status };
  return { kind: "retry", status, detail: `push service answered ${status}` };
}

// ---- Validators (pure): each answers null when the value is acceptable, else why not. ----

/** A browser's ECDH public key: base64url of the 65-byte uncompressed P-256 point (RFC 8291 §3.1). */
export function checkP256dh(value: string): string | null {
  const bytes = base64UrlBytes(value);
  if (bytes === null) return "Must be base64url.";
  if (bytes.length !== 65 || bytes[0] !== 0x04) return "Must be a 65-byte uncompressed P-256 point (0x04, x, y).";
  return null;
}

/** A browser's authentication secret: base64url of 16 bytes (RFC 8291 §3.2). */
export function checkAuthSecret(value: string): string | null {
  const bytes = base64UrlBytes(value);
  if (bytes === null) return "Must be base64url.";
  if (bytes.length !== 16) return "Must be 16 bytes.";
  return null;
}

/** Names that resolve to this machine or a private network, never to a push service. */
const LOCAL_SUFFIXES = ["localhost", "local", "internal", "localdomain", "home.arpa"];

/**
 * A push endpoint we are willing to POST to: `https:` on port 443, no credentials, a public host.
 * The server calls this URL, so a client must not be able to aim it at loopback, a private
 * network, link-local metadata services and the like (docs/security.md, push rows). IP literals in
 * such ranges are refused here; a public name that resolves to one is Cloudflare's to refuse
 * (Workers cannot reach private addresses).
 */
export function checkPushEndpoint(value: string): string | null {
  if (value.length > MAX_ENDPOINT_LENGTH) return `Must be at most ${MAX_ENDPOINT_LENGTH} characters.`;
  if (!URL.canParse(value)) return "Must be an absolute URL.";
  const url = new URL(value);
  if (url.protocol !== "https:") return "Must be an https URL.";
  // The URL parser drops the default port, so "" is 443 written or not.
  if (url.port !== "") return "Must use the default https port, 443.";
  if (url.username !== "" || url.password !== "") return "Must not carry credentials.";
  const host = url.hostname.replace(/\.$/, "").toLowerCase();
  if (host.startsWith("[")) {
    return isPublicIpv6(host.slice(1, -1)) ? null : "Must not name a loopback, private or reserved address.";
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return isPublicIpv4(v4) ? null : "Must not name a loopback, private or reserved address.";
  if (!host.includes(".")) return "Must name a public host.";
  if (LOCAL_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`))) {
    return "Must name a public host.";
  }
  return null;
}

/** Dotted-quad IPv4 (the URL parser has already normalised other spellings to it), as 4 bytes. */
function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const bytes = parts.map(Number);
  return bytes.every((b) => b <= 255) ? bytes : null;
}

/** [prefix bytes, prefix length in bits] of the IPv4 ranges no push service lives in. */
const BLOCKED_V4: [number[], number][] = [
  [[0, 0, 0, 0], 8], // "this network", incl. 0.0.0.0 unspecified (RFC 791)
  [[10, 0, 0, 0], 8], // private (RFC 1918)
  [[100, 64, 0, 0], 10], // carrier-grade NAT (RFC 6598)
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, incl. cloud metadata services (RFC 3927)
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments (RFC 6890)
  [[192, 0, 2, 0], 24], // documentation (RFC 5737)
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking (RFC 2544)
  [[198, 51, 100, 0], 24], // documentation
  [[203, 0, 113, 0], 24], // documentation
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, incl. 255.255.255.255 broadcast
];

function inPrefix(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < prefix.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function isPublicIpv4(bytes: readonly number[]): boolean {
  return !BLOCKED_V4.some(([prefix, bits]) => inPrefix(bytes, prefix, bits));
}

/** An IPv6 literal (as the URL parser writes it, or with a dotted IPv4 tail) as 16 bytes. */
function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase();
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const bytes = all.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** [prefix bytes, bits] of IPv6 ranges refused outright. */
const BLOCKED_V6: [number[], number][] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96], // ::/96: unspecified, loopback, IPv4-compatible (deprecated)
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64], // discard-only (RFC 6666)
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48], // local-use IPv4/IPv6 translation (RFC 8215)
  [[0x20, 0x01, 0x00, 0x00], 32], // Teredo: tunnels to an IPv4 address we cannot check
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation (RFC 3849)
  [[0xfc], 7], // unique local (RFC 4193)
  [[0xfe, 0x80], 10], // link-local
  [[0xfe, 0xc0], 10], // site-local (deprecated, RFC 3879)
  [[0xff], 8], // multicast
];

function isPublicIpv6(text: string): boolean {
  const bytes = parseIpv6(text);
  if (bytes === null) return false;
  // Forms that carry an IPv4 address: judged by that address.
  const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
  if (inPrefix(bytes, mapped, 96)) return isPublicIpv4(bytes.slice(12)); // ::ffff:a.b.c.d
  if (inPrefix(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return isPublicIpv4(bytes.slice(12)); // NAT64
  if (inPrefix(bytes, [0x20, 0x02], 16)) return isPublicIpv4(bytes.slice(2, 6)); // 6to4
  return !BLOCKED_V6.some(([prefix, bits]) => inPrefix(bytes, prefix, bits));
}
