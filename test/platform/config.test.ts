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
