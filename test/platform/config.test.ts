import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/platform/config";

type ChatSetting = "CHAT_INBOX_FLUSH_MS" | "CHAT_FRAME_BURST" | "CHAT_FRAMES_PER_SECOND";
const chatSettings: ChatSetting[] = ["CHAT_INBOX_FLUSH_MS", "CHAT_FRAME_BURST", "CHAT_FRAMES_PER_SECOND"];

/** The test env without `name`, as when a deploy forgets a variable. */
function without(name: ChatSetting): Env {
  const copy: Partial<Env> = { ...env };
  delete copy[name];
  return copy as Env;
}

describe("the chat settings", () => {
  it("are read as numbers from the configuration", () => {
    expect(parseConfig(env).chat).toEqual({ inboxFlushMs: 2000, frameBurst: 20, framesPerSecond: 10 });
  });

  it.each(chatSettings)("fail closed when %s is missing", (name) => {
    expect(() => parseConfig(without(name))).toThrow(new ConfigError(`${name} is not set`));
  });

  it.each(chatSettings.flatMap((name) => ["abc", "", "0", "-5", "1.5", "1e400"].map((value) => [name, value])))(
    "fail closed when %s is %j",
    (name, value) => {
      expect(() => parseConfig({ ...env, [name]: value })).toThrow(ConfigError);
    },
  );
});

describe("the Web Push (VAPID) settings", () => {
  const b64url = (bytes: Uint8Array) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
  const point = (first: number, length: number) => {
    const bytes = new Uint8Array(length).fill(9);
    bytes[0] = first;
    return b64url(bytes).replace(/=+$/, "");
  };

  it("are read from the secrets and the subject var", () => {
    expect(parseConfig(env).vapid).toEqual({
      publicKey: env.VAPID_PUBLIC_KEY,
      privateKey: env.VAPID_PRIVATE_KEY,
      subject: "mailto:push@edgegram.invalid",
    });
  });

  it("accept padded base64url and keep the unpadded spelling", () => {
    const vapid = parseConfig({
      ...env,
      VAPID_PUBLIC_KEY: `${env.VAPID_PUBLIC_KEY}=`,
      VAPID_PRIVATE_KEY: `${env.VAPID_PRIVATE_KEY}=`,
    }).vapid;
    expect(vapid.publicKey).toBe(env.VAPID_PUBLIC_KEY);
    expect(vapid.privateKey).toBe(env.VAPID_PRIVATE_KEY);
  });

  it.each(["https://edgegram.example/contact", "mailto:ops@edgegram.example"])("accept the subject %s", (subject) => {
    expect(parseConfig({ ...env, VAPID_SUBJECT: subject }).vapid.subject).toBe(subject);
  });

  it.each([
    ["VAPID_PUBLIC_KEY", ""],
    ["VAPID_PUBLIC_KEY", point(4, 64)],
    ["VAPID_PUBLIC_KEY", point(4, 66)],
    ["VAPID_PUBLIC_KEY", point(2, 33)],
    ["VAPID_PUBLIC_KEY", point(5, 65)],
    ["VAPID_PUBLIC_KEY", "not base64url!"],
    ["VAPID_PRIVATE_KEY", ""],
    ["VAPID_PRIVATE_KEY", point(1, 31)],
    ["VAPID_PRIVATE_KEY", point(1, 33)],
    ["VAPID_PRIVATE_KEY", "++++++++++++++++++++++++++++++++++++++++++++"],
    ["VAPID_SUBJECT", ""],
    ["VAPID_SUBJECT", "http://edgegram.example/contact"],
    ["VAPID_SUBJECT", "ops@edgegram.example"],
    ["VAPID_SUBJECT", "mailto:nobody"],
    ["VAPID_SUBJECT", "https://user:pw@edgegram.example/"],
    ["VAPID_SUBJECT", "javascript:alert(1)"],
  ])("fail closed when %s is %j", (name, value) => {
    expect(() => parseConfig({ ...env, [name]: value })).toThrow(ConfigError);
  });

  it("fail closed when a VAPID secret is missing", () => {
    for (const name of ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY"] as const) {
      const copy: Partial<Env> = { ...env };
      delete copy[name];
      expect(() => parseConfig(copy as Env)).toThrow(new ConfigError(`${name} is not set`));
    }
  });
});

describe("the caption provider settings", () => {
  const withAi = (settings: Record<string, string>) => parseConfig({ ...env, ...settings } as Env).captions.ai;

  it("are off, not broken, when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set", () => {
    expect(withAi({ OPENAI_API_KEY: "", OPENAI_BASE_URL: "" })).toBeNull();
    expect(withAi({ OPENAI_API_KEY: "  ", OPENAI_BASE_URL: "" })).toBeNull();
  });

  it("talk to OpenAI with a key alone, and to a local provider with a base URL alone (no key)", () => {
    expect(withAi({ OPENAI_API_KEY: "sk-1", OPENAI_BASE_URL: "" })).toEqual({
      baseURL: "https://api.openai.com/v1",
      apiKey: "sk-1",
      model: "gpt-4o-mini",
      timeoutMs: 1500,
    });
    expect(withAi({ OPENAI_API_KEY: "", OPENAI_BASE_URL: "http://localhost:11434/v1/" })).toMatchObject({
      baseURL: "http://localhost:11434/v1",
      apiKey: null,
    });
  });

  it.each(["ftp://example.com/v1", "not a url", "javascript:alert(1)"])("fail closed for OPENAI_BASE_URL %j", (url) => {
    expect(() => withAi({ OPENAI_BASE_URL: url })).toThrow(ConfigError);
  });

  it.each([
    ["OPENAI_TIMEOUT_MS", "0"],
    ["OPENAI_MODEL", ""],
    ["CAPTIONS_PER_DAY", "-1"],
    ["CAPTIONS_RETRY_SECONDS", "soon"],
  ])("fail closed when %s is %j", (name, value) => {
    expect(() => parseConfig({ ...env, [name]: value })).toThrow(ConfigError);
  });
});

describe("the automatic moderation settings", () => {
  const moderation = (settings: Record<string, string>) => parseConfig({ ...env, ...settings } as Env).moderation;

  it("use the captions provider with MODERATION_MODEL and the default thresholds", () => {
    expect(moderation({})).toEqual({
      ai: {
        baseURL: "https://ai.example.test/v1",
        apiKey: "sk-test-fake-provider-key",
        model: "omni-moderation-latest",
        timeoutMs: 1500,
      },
      hideThreshold: 0.9,
      flagThreshold: 0.5,
    });
    expect(moderation({ MODERATION_HIDE_THRESHOLD: "1", MODERATION_FLAG_THRESHOLD: "0.25" })).toMatchObject({
      hideThreshold: 1,
      flagThreshold: 0.25,
    });
  });

  it("are off, not broken, without a provider (no key and no base URL)", () => {
    expect(moderation({ OPENAI_API_KEY: "", OPENAI_BASE_URL: "" }).ai).toBeNull();
  });

  it.each<Record<string, string>>([
    { MODERATION_HIDE_THRESHOLD: "0.5", MODERATION_FLAG_THRESHOLD: "0.5" },
    { MODERATION_HIDE_THRESHOLD: "0.4", MODERATION_FLAG_THRESHOLD: "0.6" },
    { MODERATION_HIDE_THRESHOLD: "1.1" },
    { MODERATION_FLAG_THRESHOLD: "0" },
    { MODERATION_FLAG_THRESHOLD: "-0.2" },
    { MODERATION_HIDE_THRESHOLD: "high" },
    { MODERATION_HIDE_THRESHOLD: "" },
    { MODERATION_FLAG_THRESHOLD: "1e-1" },
    { MODERATION_FLAG_THRESHOLD: "NaN" },
    { MODERATION_MODEL: "" },
    { MODERATION_MODEL: "   " },
  ])("fail closed for %j", (settings) => {
    expect(() => moderation(settings)).toThrow(ConfigError);
  });
});

describe("the Stream settings", () => {
  const live = (settings: Record<string, string>) => parseConfig({ ...env, ...settings } as Env).live;

  it("are off (comments-only) without an account and a token", () => {
    expect(live({ STREAM_ACCOUNT_ID: "", STREAM_API_TOKEN: "" }).stream).toBeNull();
  });

  it("take the default API base and the optional customer host", () => {
    expect(live({ STREAM_API_BASE: "", STREAM_CUSTOMER_HOST: "" }).stream).toEqual({
      accountId: "acct-test",
      apiToken: "stream-test-token-0123456789",
      apiBase: "https://api.cloudflare.com/client/v4",
      customerHost: null,
    });
  });

  it.each<Record<string, string>>([
    { STREAM_ACCOUNT_ID: "acct", STREAM_API_TOKEN: "" },
    { STREAM_ACCOUNT_ID: "", STREAM_API_TOKEN: "token" },
    { STREAM_API_BASE: "ftp://stream.example" },
    { STREAM_WEBHOOK_SECRET: "short" },
    { LIVE_DISCONNECT_GRACE_SECONDS: "0" },
  ])("fail closed for %j", (settings) => {
    expect(() => live(settings)).toThrow(ConfigError);
  });
});

describe("MEDIA_BLOCKLIST_MAX_DISTANCE", () => {
  it("is read from the configuration (6), and is 6 when unset", () => {
    expect(parseConfig(env).media.blocklistMaxDistance).toBe(6);
    const copy: Partial<Env> = { ...env };
    delete copy.MEDIA_BLOCKLIST_MAX_DISTANCE;
    expect(parseConfig(copy as Env).media.blocklistMaxDistance).toBe(6);
  });

  it.each(["0", "7"])("takes %s", (value) => {
    expect(parseConfig({ ...env, MEDIA_BLOCKLIST_MAX_DISTANCE: value }).media.blocklistMaxDistance).toBe(Number(value));
  });

  // Past 7 two hashes within the distance may share none of the 8 bands the lookup uses.
  it.each(["8", "64", "-1", "2.5", "abc"])("fails closed at %j", (value) => {
    expect(() => parseConfig({ ...env, MEDIA_BLOCKLIST_MAX_DISTANCE: value })).toThrow(ConfigError);
  });
});

describe("ACCOUNT_DELETION_GRACE_DAYS", () => {
  const withGrace = (value: string | undefined) => ({ ...env, ACCOUNT_DELETION_GRACE_DAYS: value }) as unknown as Env;

  it("is read from the configuration (30), and is 30 when unset", () => {
    expect(parseConfig(env).accountDeletionGraceDays).toBe(30);
    expect(parseConfig(withGrace(undefined)).accountDeletionGraceDays).toBe(30);
    expect(parseConfig(withGrace("7")).accountDeletionGraceDays).toBe(7);
  });

  it.each(["0", "-1", "2.5", "abc"])("fails closed at %j", (value) => {
    expect(() => parseConfig(withGrace(value))).toThrow(ConfigError);
  });
});
