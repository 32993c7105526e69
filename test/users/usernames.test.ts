import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { USERNAME_PATTERN } from "../../src/features/users/users.schema";
import { newId } from "../../src/platform/ids";
import { api, expectProblem } from "../helpers/api";
import { createUser, uniqueUsername } from "../helpers/factories";
import { follow, makePrivate, relationship, usernames } from "../helpers/graph";

/** docs/security.md C6: no username is a URL dot segment, so every account can be named in a path. */
describe("usernames", () => {
  it.each([".", "..", "...", "a..b", ".a", "a.", "._", "_."])(
    "refuses %j at sign-up with 422 naming the field, and creates nothing",
    async (username) => {
      const email = `${crypto.randomUUID()}@example.com`;
      const res = await api("POST", "/v1/auth/signup", { body: { username, email, password: "correct horse" } });
      const problem = await expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toEqual(["username"]);
      const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first();
      expect(row).toBeNull();
    },
  );

  it.each(["a.b", "a_.b", "_a._", "a.b.c_1", "_", "a".repeat(30)])("accepts %j", async (username) => {
    const res = await api("POST", "/v1/auth/signup", {
      body: { username, email: `${crypto.randomUUID()}@example.com`, password: "correct horse" },
    });
    expect(res.status, await res.clone().text()).toBe(202);
  });

  it("names an account with dots in every path: block, mute, remove, approve and deny work", async () => {
    const owner = await createUser({ username: uniqueUsername("o.w.n") });
    const dotted = await createUser({ username: uniqueUsername("j.doe") });
    expect(dotted.username).toContain(".");
    const path = `/v1/users/${dotted.username}`;

    expect(await follow(dotted, owner)).toBe("following");
    const removed = await api("DELETE", `/v1/me/followers/${dotted.username}`, { token: owner.accessToken });
    expect(removed.status, await removed.clone().text()).toBe(204);
    expect((await relationship(owner, dotted)).body.relationship?.followed_by).toBe(false);

    const muted = await api("POST", `${path}/mute`, { token: owner.accessToken });
    expect(muted.status, await muted.clone().text()).toBe(200);
    expect((await relationship(owner, dotted)).body.relationship?.muting).toBe(true);

    await makePrivate(owner);
    expect(await follow(dotted, owner)).toBe("requested");
    const denied = await api("POST", `/v1/me/follow-requests/${dotted.username}/deny`, { token: owner.accessToken });
    expect(denied.status, await denied.clone().text()).toBe(204);
    expect(await follow(dotted, owner)).toBe("requested");
    const approved = await api("POST", `/v1/me/follow-requests/${dotted.username}/approve`, {
      token: owner.accessToken,
    });
    expect(approved.status, await approved.clone().text()).toBe(204);
    expect((await relationship(owner, dotted)).body.relationship?.followed_by).toBe(true);

    const blocked = await api("POST", `${path}/block`, { token: owner.accessToken });
    expect(blocked.status, await blocked.clone().text()).toBe(200);
    expect(await usernames(await api("GET", "/v1/me/blocks", { token: owner.accessToken }))).toEqual([dotted.username]);
    const unblocked = await api("DELETE", `${path}/block`, { token: owner.accessToken });
    expect(unblocked.status, await unblocked.clone().text()).toBe(200);
    expect((await relationship(owner, dotted)).body.relationship).toMatchObject({
      blocking: false,
      followed_by: false,
    });
  });
});

describe("migration 0012_rename_dot_usernames", () => {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("rename_dot_usernames"));

  async function insertUser(username: string): Promise<string> {
    const id = newId();
    await env.DB.prepare(
      `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
       VALUES (?, ?, ?, 'x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    )
      .bind(id, username, `${id}@example.com`)
      .run();
    return id;
  }

  async function runMigration(): Promise<void> {
    if (!migration) throw new Error("migration not found");
    for (const query of migration.queries) await env.DB.prepare(query).run();
  }

  const nameOf = async (id: string) =>
    (await env.DB.prepare("SELECT username FROM users WHERE id = ?").bind(id).first<{ username: string }>())?.username;

  it("renames every name a path would normalise, uniquely and within 30 characters, and keeps the rest", async () => {
    const bad = [".", "..", "...", "a..b", ".a", "a.", "....................", "x.y..z."];
    const badIds = new Map<string, string>();
    for (const name of bad) badIds.set(await insertUser(name), name);
    const good = ["keep.me", "keep_me_too", "u_not_an_id"];
    const goodIds = new Map<string, string>();
    for (const name of good) goodIds.set(await insertUser(name), name);
    // Someone already holds the name the first bad account would get, and its first fallback.
    const [firstBad] = badIds.keys();
    if (!firstBad) throw new Error("no rows");
    const squatters = [`u_${firstBad.toLowerCase()}`, `u_${firstBad.toLowerCase()}_1`];
    for (const name of squatters) await insertUser(name);

    await runMigration();

    const renamed = new Set<string>();
    for (const [id, old] of badIds) {
      const now = await nameOf(id);
      expect(now, `${old} was renamed`).toBeDefined();
      const name = now ?? "";
      expect(name).toMatch(USERNAME_PATTERN);
      expect(name.length).toBeLessThanOrEqual(30);
      expect(name.startsWith(`u_${id.toLowerCase()}`)).toBe(true);
      renamed.add(name);
      const event = await env.DB.prepare("SELECT kind, detail FROM auth_events WHERE user_id = ?")
        .bind(id)
        .first<{ kind: string; detail: string }>();
      expect(event).toEqual({ kind: "username_renamed", detail: `was ${old}` });
    }
    expect(renamed.size).toBe(bad.length);
    expect(await nameOf(firstBad)).toBe(`u_${firstBad.toLowerCase()}_2`);
    for (const [id, name] of goodIds) expect(await nameOf(id)).toBe(name);
    const all = await env.DB.prepare("SELECT username FROM users").all<{ username: string }>();
    for (const row of all.results) expect(row.username).toMatch(USERNAME_PATTERN);

    // The renamed accounts can now be named in a path.
    const viewer = await createUser();
    const target = [...renamed][0] ?? "";
    const res = await api("POST", `/v1/users/${target}/block`, { token: viewer.accessToken });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("changes nothing when run again", async () => {
    await insertUser("..again");
    await runMigration();
    const before = await env.DB.prepare("SELECT id, username FROM users ORDER BY id").all();
    const events = await env.DB.prepare("SELECT COUNT(*) AS n FROM auth_events").first<{ n: number }>();
    await runMigration();
    expect((await env.DB.prepare("SELECT id, username FROM users ORDER BY id").all()).results).toEqual(before.results);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM auth_events").first<{ n: number }>()).toEqual(events);
  });
});
