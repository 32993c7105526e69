import { describe, expect, it } from "vitest";
import * as real from "zod";
import * as bundled from "../../src/platform/zod";

/** A namespace's own exports, by name. */
const entries = (namespace: object) => new Map<string, unknown>(Object.entries(namespace));

describe('the bundle\'s zod (wrangler.toml aliases "zod" to it)', () => {
  it("hands out zod's own objects under every name but the locales", () => {
    const mine = entries(bundled.z);
    for (const [name, value] of entries(real.z)) {
      if (name === "core" || name === "locales") continue;
      expect(mine.get(name), name).toBe(value);
    }
    // Beyond zod's names only the module's own namespace, as `z` and as the default export.
    const extra = [...mine.keys()].filter((name) => !(name in real.z));
    expect(extra.sort()).toEqual(["default", "z"]);
    expect(bundled.default).toBe(bundled.z);
  });

  it("hands out zod's core under every name but the locales", () => {
    const mine = entries(bundled.z.core);
    const theirs = entries(real.z.core);
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, value] of theirs) {
      if (name !== "locales") expect(mine.get(name), name).toBe(value);
    }
  });

  it("keeps English, the only locale the Worker uses, and its messages", () => {
    expect(bundled.z.locales).toEqual({ en: real.z.locales.en });
    expect(bundled.z.core.locales).toEqual({ en: real.z.locales.en });
    const result = bundled.z.strictObject({ name: bundled.z.string() }).safeParse({ name: 1, extra: true });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      "Invalid input: expected string, received number",
      'Unrecognized key: "extra"',
    ]);
  });
});
