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
    cacheTtlSeconds: number;
  };
  media: {
    maxBytes: number;
    uploadsPer30Min: number;
    urlTtlSeconds: number;
  };
  /** How long a story stays up. */
  storyTtlSeconds: number;
  chat: {
    /** How long a room waits after a change before writing the inbox summary to D1. */
    inboxFlushMs: number;
    /** Frames one socket may send at once, then a steady rate per second (a token bucket). */
    frameBurst: number;
    framesPerSecond: number;
  };
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

export function parseConfig(env: Env): AppConfig {
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
      cacheTtlSeconds: Math.max(60, positiveInt(env, "FEED_CACHE_TTL_SECONDS")),
    },
    media: {
      maxBytes: positiveInt(env, "MEDIA_MAX_BYTES"),
      uploadsPer30Min: positiveInt(env, "MEDIA_UPLOADS_PER_30_MIN"),
      urlTtlSeconds: positiveInt(env, "MEDIA_URL_TTL_SECONDS"),
    },
    storyTtlSeconds: positiveInt(env, "STORY_TTL_SECONDS"),
    chat: {
      inboxFlushMs: positiveInt(env, "CHAT_INBOX_FLUSH_MS"),
      frameBurst: positiveInt(env, "CHAT_FRAME_BURST"),
      framesPerSecond: positiveInt(env, "CHAT_FRAMES_PER_SECOND"),
    },
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
