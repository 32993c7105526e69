import { base64UrlDecode } from "./crypto";
import type { MailConfig } from "./mail";
import type { StreamConfig } from "./stream";

/**
 * Typed, validated configuration read from the Worker's vars and secrets, once per isolate.
 * A missing or weak secret makes every request fail closed with a 500: the app never signs a
 * token or hashes a password with a key an attacker could guess (RFC 8725 §3.5).
 */
export const MIN_SECRET_LENGTH = 32;

export interface JwtKey {
  kid: string;
  secret: Uint8Array;
}

export interface AppConfig {
  jwt: {
    issuer: string;
    audience: string;
    /** The first key signs; all of them verify (rotation overlap). */
    keys: JwtKey[];
    accessTtlSeconds: number;
  };
  refreshTtlSeconds: number;
  passwordPepper: string;
  signingSecret: string;
  corsOrigins: string[];
  maxJsonBodyBytes: number;
  feed: {
    fanoutMaxFollowers: number;
    timelineCap: number;
    /** Durable Objects the timelines are spread over (src/platform/timelines.ts). */
    timelinePartitions: number;
    cacheTtlSeconds: number;
  };
  media: {
    maxBytes: number;
    uploadsPer30Min: number;
    urlTtlSeconds: number;
    /**
     * Largest Hamming distance between dHashes at which an upload counts as a blocklisted image
     * (0..7: the blocklist finds candidates by 8 one-byte bands, which catches every hash within 7).
     */
    blocklistMaxDistance: number;
  };
  /** How long a story stays up. */
  storyTtlSeconds: number;
  /** Days between `DELETE /v1/me` and the purge; the owner may restore within them (docs/accounts.md). */
  accountDeletionGraceDays: number;
  chat: {
    /** How long a room waits after a change before writing the inbox summary to D1. */
    inboxFlushMs: number;
    /** Frames one socket may send at once, then a steady rate per second (a token bucket). */
    frameBurst: number;
    framesPerSecond: number;
  };
  /** Web Push (RFC 8292): the server's key pair, base64url, and who push services may contact. */
  vapid: VapidConfig;
  captions: {
    /** Null when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: suggestions are unavailable. */
    ai: AiConfig | null;
    /** Suggestion jobs an account may start per 24 hours. */
    perDay: number;
    /** The first retry delay after a provider error without `retry-after`; doubles per attempt. */
    retrySeconds: number;
  };
  /** Automatic moderation through the provider's moderation endpoint (docs/moderation.md). */
  moderation: ModerationConfig;
  /** Where mail goes (platform/mail.ts) and where its links point. */
  mail: MailConfig;
  /** The web app's origin: links in mail point here (`APP_URL/verify-email?token=…`). */
  appUrl: string;
  live: {
    /** Null without STREAM_ACCOUNT_ID and STREAM_API_TOKEN: sessions are comments-only. */
    stream: StreamConfig | null;
    /** The `cf-webhook-auth` value Stream's live webhooks carry; null: webhooks are refused. */
    webhookSecret: string | null;
    /** How long a broadcast may stay disconnected before its session ends. */
    disconnectGraceSeconds: number;
  };
}

/** Optional Stream settings (secrets a deployment may leave unset). */
interface OptionalStreamSettings {
  STREAM_ACCOUNT_ID?: string;
  STREAM_API_TOKEN?: string;
  STREAM_API_BASE?: string;
  STREAM_CUSTOMER_HOST?: string;
  STREAM_WEBHOOK_SECRET?: string;
}

const STREAM_DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";

/** Stream Live when both the account and a token are set; either alone is a mistake, refused. */
export function parseStream(env: Env): AppConfig["live"] {
  const s = env as unknown as OptionalStreamSettings;
  const accountId = s.STREAM_ACCOUNT_ID?.trim() || null;
  const apiToken = s.STREAM_API_TOKEN?.trim() || null;
  if ((accountId === null) !== (apiToken === null)) {
    throw new ConfigError("STREAM_ACCOUNT_ID and STREAM_API_TOKEN must be set together (or neither)");
  }
  const apiBase = (s.STREAM_API_BASE?.trim() || STREAM_DEFAULT_API_BASE).replace(/\/+$/, "");
  if (!URL.canParse(apiBase) || !/^https?:$/.test(new URL(apiBase).protocol)) {
    throw new ConfigError("STREAM_API_BASE must be an http(s) URL");
  }
  const webhookSecret = s.STREAM_WEBHOOK_SECRET?.trim() || null;
  if (webhookSecret !== null && webhookSecret.length < 16) {
    throw new ConfigError("STREAM_WEBHOOK_SECRET must be at least 16 characters");
  }
  return {
    stream:
      accountId && apiToken
        ? { accountId, apiToken, apiBase, customerHost: s.STREAM_CUSTOMER_HOST?.trim() || null }
        : null,
    webhookSecret,
    disconnectGraceSeconds: positiveInt(env, "LIVE_DISCONNECT_GRACE_SECONDS"),
  };
}

/** Optional mail settings (secrets and development switches a deployment may leave unset). */
interface OptionalMailSettings {
  EMAIL_API_URL?: string;
  EMAIL_API_KEY?: string;
  EMAIL_FROM?: string;
  DEV_MAILBOX?: string;
}

const MAIL_TIMEOUT_MS = 10_000;

/**
 * The mail sender: an HTTP email API when EMAIL_API_URL is set (with EMAIL_API_KEY and EMAIL_FROM,
 * all three or it is refused), the development mailbox when DEV_MAILBOX=1, else none (mail is
 * logged as not sent and the flows still work). DEV_MAILBOX together with EMAIL_API_URL is refused:
 * a deployment that has a real mail API must never also expose its mail at /dev/mailbox, and a
 * stray development switch must not silently swallow production mail (fail closed).
 */
export function parseMail(env: Env): MailConfig {
  const s = env as unknown as OptionalMailSettings;
  const url = s.EMAIL_API_URL?.trim() || null;
  const apiKey = s.EMAIL_API_KEY?.trim() || null;
  const from = s.EMAIL_FROM?.trim() || null;
  const dev = s.DEV_MAILBOX?.trim() || null;
  if (dev !== null && dev !== "1" && dev !== "0") throw new ConfigError("DEV_MAILBOX must be 1 or unset");
  if (dev === "1" && url !== null) {
    throw new ConfigError(
      "DEV_MAILBOX=1 and EMAIL_API_URL are both set: the development mailbox is never used with a real mail API",
    );
  }
  if (dev === "1") return { kind: "dev", from: from ?? "Edgegram <no-reply@edgegram.local>" };
  if (url === null) {
    if (apiKey !== null) throw new ConfigError("EMAIL_API_KEY is set without EMAIL_API_URL");
    return { kind: "none" };
  }
  if (!URL.canParse(url) || new URL(url).protocol !== "https:")
    throw new ConfigError("EMAIL_API_URL must be an https URL");
  if (apiKey === null) throw new ConfigError("EMAIL_API_URL is set without EMAIL_API_KEY");
  if (from === null) throw new ConfigError("EMAIL_API_URL is set without EMAIL_FROM");
  return { kind: "http", url, apiKey, from, timeoutMs: MAIL_TIMEOUT_MS };
}

/** APP_URL: an http(s) origin (a path is allowed) without credentials, query or fragment. */
export function parseAppUrl(env: Env): string {
  const raw = (env as unknown as { APP_URL?: string }).APP_URL?.trim() ?? "";
  if (!URL.canParse(raw)) throw new ConfigError("APP_URL must be an http(s) URL, such as https://app.example.com");
  const url = new URL(raw);
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new ConfigError("APP_URL must be an http(s) URL without credentials, query or fragment");
  }
  return raw.replace(/\/+$/, "");
}

/** An OpenAI-compatible provider (docs/captions.md). */
export interface AiConfig {
  baseURL: string;
  /** Null for local providers that take no key. */
  apiKey: string | null;
  model: string;
  timeoutMs: number;
}

/** Optional settings: secrets a deployment may leave unset, so absent from the generated Env. */
interface OptionalAiSettings {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
}

const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * The provider settings: unset (both empty) means no suggestions, not a broken deployment; a key
 * alone talks to OpenAI; a base URL alone talks to a local provider that needs no key.
 */
export function parseAi(env: Env): AiConfig | null {
  const s = env as unknown as OptionalAiSettings;
  const apiKey = s.OPENAI_API_KEY?.trim() || null;
  const base = s.OPENAI_BASE_URL?.trim() || null;
  if (apiKey === null && base === null) return null;
  const baseURL = base ?? OPENAI_DEFAULT_BASE_URL;
  if (!URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol)) {
    throw new ConfigError("OPENAI_BASE_URL must be an http(s) URL, such as https://api.openai.com/v1");
  }
  return {
    baseURL: baseURL.replace(/\/+$/, ""),
    apiKey,
    model: requireString(env, "OPENAI_MODEL"),
    timeoutMs: positiveInt(env, "OPENAI_TIMEOUT_MS"),
  };
}

export interface ModerationConfig {
  /**
   * The provider (the same OPENAI_BASE_URL and OPENAI_API_KEY as captions) with MODERATION_MODEL;
   * null when neither is set: no check is queued.
   */
  ai: AiConfig | null;
  /** A category scoring at least this hides the content at once, pending review. */
  hideThreshold: number;
  /** A category scoring at least this files a system report; `sexual/minors` at this hides. */
  flagThreshold: number;
}

/** A score threshold: a number in (0, 1]. */
function threshold(env: Env, name: keyof Env): number {
  const raw = requireString(env, name);
  const n = Number(raw);
  if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new ConfigError(`${name} must be a number above 0 and at most 1`);
  }
  return n;
}

/** Fail closed: 0 < MODERATION_FLAG_THRESHOLD < MODERATION_HIDE_THRESHOLD ≤ 1, and a model. */
export function parseModeration(env: Env, ai: AiConfig | null): ModerationConfig {
  const hideThreshold = threshold(env, "MODERATION_HIDE_THRESHOLD");
  const flagThreshold = threshold(env, "MODERATION_FLAG_THRESHOLD");
  if (flagThreshold >= hideThreshold) {
    throw new ConfigError("MODERATION_FLAG_THRESHOLD must be below MODERATION_HIDE_THRESHOLD");
  }
  const model = requireString(env, "MODERATION_MODEL").trim();
  if (model.length === 0) throw new ConfigError("MODERATION_MODEL is not set");
  return { ai: ai ? { ...ai, model } : null, hideThreshold, flagThreshold };
}

export interface VapidConfig {
  /** The uncompressed P-256 point (65 bytes), as browsers take it for `applicationServerKey`. */
  publicKey: string;
  /** The private scalar (32 bytes). */
  privateKey: string;
  /** `mailto:` or `https:`: the JWT's `sub`, for a push service to reach the operator. */
  subject: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function requireString(env: Env, name: keyof Env): string {
  const value = env[name];
  if (typeof value !== "string" || value.length === 0) throw new ConfigError(`${name} is not set`);
  return value;
}

function requireSecret(env: Env, name: keyof Env): string {
  const value = requireString(env, name);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${name} must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return value;
}

/**
 * MEDIA_BLOCKLIST_MAX_DISTANCE: 0..7, 6 when unset. Two 64-bit hashes within distance 7 share at
 * least one of their 8 bytes (pigeonhole), which is what the blocklist's band indexes look up; past
 * 7 a near duplicate could share none and be missed, so a larger value is refused.
 */
export function parseBlocklistDistance(env: Env): number {
  const raw = (env as unknown as { MEDIA_BLOCKLIST_MAX_DISTANCE?: string }).MEDIA_BLOCKLIST_MAX_DISTANCE?.trim();
  if (raw === undefined || raw === "") return 6;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 7)
    throw new ConfigError("MEDIA_BLOCKLIST_MAX_DISTANCE must be an integer from 0 to 7");
  return n;
}

/** ACCOUNT_DELETION_GRACE_DAYS: a positive whole number of days, 30 when unset. */
export function parseDeletionGraceDays(env: Env): number {
  const raw = (env as unknown as { ACCOUNT_DELETION_GRACE_DAYS?: string }).ACCOUNT_DELETION_GRACE_DAYS?.trim();
  if (raw === undefined || raw === "") return 30;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConfigError("ACCOUNT_DELETION_GRACE_DAYS must be a positive integer");
  return n;
}

function positiveInt(env: Env, name: keyof Env): number {
  const raw = requireString(env, name);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer`);
  return n;
}

/** `kid:secret,kid:secret`, newest first. */
export function parseJwtKeys(raw: string): JwtKey[] {
  const encoder = new TextEncoder();
  const keys = raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const colon = part.indexOf(":");
      if (colon <= 0) throw new ConfigError("JWT_KEYS entries must look like kid:secret");
      const kid = part.slice(0, colon);
      const secret = part.slice(colon + 1);
      if (secret.length < MIN_SECRET_LENGTH) {
        throw new ConfigError(`JWT_KEYS secret for kid ${kid} must be at least ${MIN_SECRET_LENGTH} characters`);
      }
      return { kid, secret: encoder.encode(secret) };
    });
  if (keys.length === 0) throw new ConfigError("JWT_KEYS has no keys");
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new ConfigError("JWT_KEYS has a repeated kid");
  return keys;
}

/** Bytes of base64url text, unpadded or with `=` padding (browsers and key tools write both); null if it is not. */
export function base64UrlBytes(value: string): Uint8Array | null {
  return base64UrlDecode(value.replace(/={1,2}$/, ""));
}

/**
 * The VAPID secrets and subject. The public key is the uncompressed point (0x04, x, y) and the
 * private key the 32-byte scalar, both base64url (RFC 8292 §3.2), as scripts/vapid-keys.mjs makes
 * them; anything else fails closed rather than sending pushes no service would accept.
 */
export function parseVapid(env: Env): VapidConfig {
  const publicKey = requireString(env, "VAPID_PUBLIC_KEY");
  const pub = base64UrlBytes(publicKey);
  if (pub?.length !== 65 || pub[0] !== 0x04) {
    throw new ConfigError("VAPID_PUBLIC_KEY must be the base64url of a 65-byte uncompressed P-256 point");
  }
  const privateKey = requireString(env, "VAPID_PRIVATE_KEY");
  if (base64UrlBytes(privateKey)?.length !== 32) {
    throw new ConfigError("VAPID_PRIVATE_KEY must be the base64url of a 32-byte P-256 private key");
  }
  const subject = requireString(env, "VAPID_SUBJECT");
  if (!isVapidSubject(subject)) throw new ConfigError("VAPID_SUBJECT must be a mailto: or https: URL");
  return { publicKey: publicKey.replace(/=+$/, ""), privateKey: privateKey.replace(/=+$/, ""), subject };
}

/** RFC 8292 §2.1: a `mailto:` address or an `https:` URL the push service can use to reach us. */
function isVapidSubject(value: string): boolean {
  if (value.length > 256 || /\s/.test(value)) return false;
  if (/^mailto:[^@]+@[^@]+\.[^@]+$/.test(value)) return true;
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === "https:" && url.hostname.length > 0 && url.username === "" && url.password === "";
}

export function parseConfig(env: Env): AppConfig {
  const ai = parseAi(env);
  return {
    jwt: {
      issuer: requireString(env, "JWT_ISSUER"),
      audience: requireString(env, "JWT_AUDIENCE"),
      keys: parseJwtKeys(requireString(env, "JWT_KEYS")),
      accessTtlSeconds: positiveInt(env, "ACCESS_TOKEN_TTL_SECONDS"),
    },
    refreshTtlSeconds: positiveInt(env, "REFRESH_TOKEN_TTL_SECONDS"),
    passwordPepper: requireSecret(env, "PASSWORD_PEPPER"),
    signingSecret: requireSecret(env, "SIGNING_SECRET"),
    corsOrigins: (env.CORS_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim())
      .filter((o) => o.length > 0 && o !== "*"),
    maxJsonBodyBytes: positiveInt(env, "MAX_JSON_BODY_BYTES"),
    feed: {
      fanoutMaxFollowers: positiveInt(env, "FANOUT_MAX_FOLLOWERS"),
      timelineCap: positiveInt(env, "TIMELINE_CAP"),
      timelinePartitions: positiveInt(env, "TIMELINE_PARTITIONS"),
      cacheTtlSeconds: Math.max(60, positiveInt(env, "FEED_CACHE_TTL_SECONDS")),
    },
    media: {
      maxBytes: positiveInt(env, "MEDIA_MAX_BYTES"),
      uploadsPer30Min: positiveInt(env, "MEDIA_UPLOADS_PER_30_MIN"),
      urlTtlSeconds: positiveInt(env, "MEDIA_URL_TTL_SECONDS"),
      blocklistMaxDistance: parseBlocklistDistance(env),
    },
    storyTtlSeconds: positiveInt(env, "STORY_TTL_SECONDS"),
    accountDeletionGraceDays: parseDeletionGraceDays(env),
    chat: {
      inboxFlushMs: positiveInt(env, "CHAT_INBOX_FLUSH_MS"),
      frameBurst: positiveInt(env, "CHAT_FRAME_BURST"),
      framesPerSecond: positiveInt(env, "CHAT_FRAMES_PER_SECOND"),
    },
    vapid: parseVapid(env),
    captions: {
      ai,
      perDay: positiveInt(env, "CAPTIONS_PER_DAY"),
      retrySeconds: positiveInt(env, "CAPTIONS_RETRY_SECONDS"),
    },
    moderation: parseModeration(env, ai),
    mail: parseMail(env),
    appUrl: parseAppUrl(env),
    live: parseStream(env),
  };
}

// The env object is the same for every request an isolate serves; parse it once.
const cache = new WeakMap<Env, AppConfig>();

export function configFor(env: Env): AppConfig {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}
