import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * scripts/admin.mjs, the only way to make someone staff (docs/moderation.md, "Roles"), run for
 * real against a local D1 of its own (wrangler's --persist-to), as an operator would.
 */
const dir = mkdtempSync(join(tmpdir(), "edgegram-admin-"));
const wrangler = (...args: string[]) =>
  execFileSync("npx", ["wrangler", "d1", ...args, "DB", "--local", "--persist-to", dir], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
const admin = (...args: string[]) =>
  spawnSync("node", ["scripts/admin.mjs", ...args, "--persist-to", dir], { encoding: "utf8" });

describe("scripts/admin.mjs", () => {
  beforeAll(() => {
    wrangler("migrations", "apply");
    execFileSync(
      "npx",
      [
        "wrangler",
        "d1",
        "execute",
        "DB",
        "--local",
        "--persist-to",
        dir,
        "--command",
        "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) VALUES ('01JADMINSCRIPT000000000001', 'dana', 'dana@example.com', 'x', '2026-01-01', '2026-01-01')",
      ],
      { env: { ...process.env, CI: "true" }, stdio: "ignore" },
    );
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("grants, lists and revokes a role; refuses unknown accounts, bad names and bad roles", () => {
    const granted = admin("grant", "dana", "moderator");
    expect(granted.status, granted.stderr).toBe(0);
    expect(granted.stdout.trim()).toBe("dana\tmoderator");
    expect(admin("list").stdout.trim()).toBe("dana\tmoderator");
    expect(admin("grant", "Dana", "admin").stdout.trim()).toBe("dana\tadmin");
    expect(admin("revoke", "dana").stdout.trim()).toBe("dana\tuser");
    expect(admin("list").stdout.trim()).toBe("");

    const unknown = admin("grant", "nobody", "admin");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no account named nobody/);
    // Nothing but a valid username ever reaches the SQL text.
    expect(admin("grant", "x'; DROP TABLE users; --", "admin").status).toBe(2);
    expect(admin("grant", "dana", "root").status).toBe(2);
    expect(admin("grant", "dana", "admin", "--remote").status).toBe(2);
  }, 120_000);
});
