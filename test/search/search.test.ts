import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { publish } from "../helpers/posts";

async function search(user: TestUser, type: string, q: string, extra = "") {
  const res = await api("GET", `/v1/search?type=${type}&q=${encodeURIComponent(q)}${extra}`, {
    token: user.accessToken,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { items: Record<string, unknown>[]; next_cursor: string | null };
}

const names = (page: { items: Record<string, unknown>[] }) => page.items.map((u) => u.username);

async function rename(user: TestUser, displayName: string) {
  const res = await api("PATCH", "/v1/me", { token: user.accessToken, body: { display_name: displayName } });
  expect(res.status).toBe(200);
}

/** A unique word for this test run, so parallel files do not see each other's data. */
const word = () => `zq${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;

describe("accounts", () => {
  it("finds by username prefix from 1 character, and by any 3+ character part of username or name, diacritics ignored", async () => {
    const viewer = await createUser();
    const tag = word();
    const jose = await createUser({ username: `${tag}_jose` });
    await rename(jose, "José Álvarez");
    const other = await createUser({ username: `${tag}_other` });
    await rename(other, "Zoë Müller 東京タワー");
    // One or two characters: username prefixes only.
    const short = names(await search(viewer, "accounts", "zq"));
    expect(short.length).toBeGreaterThan(0);
    expect(short.every((n) => String(n).startsWith("zq"))).toBe(true);
    expect(names(await search(viewer, "accounts", `@${tag}`)).sort()).toEqual([jose.username, other.username].sort());
    expect(names(await search(viewer, "accounts", "álvarez"))).toContain(jose.username);
    expect(names(await search(viewer, "accounts", "alvarez"))).toContain(jose.username);
    expect(names(await search(viewer, "accounts", "JOSÉ ÁLV"))).toContain(jose.username);
    expect(names(await search(viewer, "accounts", "muller"))).toContain(other.username);
    expect(names(await search(viewer, "accounts", "京タワ"))).toContain(other.username);
  });

  it("ranks the exact username first, then people you follow, and never shows a blocked account", async () => {
    const viewer = await createUser();
    const tag = word();
    const exact = await createUser({ username: tag });
    const followed = await createUser({ username: `${tag}_b` });
    const plain = await createUser({ username: `${tag}_a` });
    const blocker = await createUser({ username: `${tag}_c` });
    await follow(viewer, followed);
    await api("POST", `/v1/users/${viewer.username}/block`, { token: blocker.accessToken });
    expect(names(await search(viewer, "accounts", tag))).toEqual([exact.username, followed.username, plain.username]);
  });

  it("treats FTS syntax as text: no error, no injection", async () => {
    const viewer = await createUser();
    for (const q of ['"', 'foo"bar', "*", "a*", "NEAR(a b)", "a OR b", "#x", "-x", "(", "^", "':;", "😀😀😀", "\\"]) {
      for (const type of ["accounts", "tags", "posts"]) await search(viewer, type, q);
    }
    // Nothing to search for: an empty list.
    expect((await search(viewer, "accounts", "   ")).items).toEqual([]);
    await expectProblem(
      await api("GET", "/v1/search?type=people&q=x", { token: viewer.accessToken }),
      422,
      "validation_failed",
    );
    await expectProblem(await api("GET", "/v1/search?q=x"), 401, "unauthorized");
  });
});

describe("tags", () => {
  it("finds by prefix with or without #, most used first", async () => {
    const author = await createUser();
    const tag = word();
    await publish(author, { caption: `#${tag}café #${tag}cafés` });
    await publish(author, { caption: `#${tag}cafés` });
    for (const q of [`#${tag}caf`, `${tag}caf`, `${tag.toUpperCase()}CAF`]) {
      const page = await search(author, "tags", q);
      expect(page.items).toEqual([
        { tag: `${tag}cafés`, post_count: 2 },
        { tag: `${tag}café`, post_count: 1 },
      ]);
    }
  });
});

describe("posts", () => {
  it("finds caption words (diacritics ignored), follows edits and deletes, and keeps to the policy", async () => {
    const [author, fan, stranger] = [await createUser(), await createUser(), await createUser()];
    await follow(fan, author);
    const w = word();
    const open = await publish(author, { caption: `Café ${w} at dawn` });
    const hidden = await publish(author, { caption: `Café ${w} for followers`, audience: "followers" });
    const ids = (page: { items: Record<string, unknown>[] }) => page.items.map((p) => p.id);
    expect(ids(await search(fan, "posts", `cafe ${w}`)).sort()).toEqual([open.id, hidden.id].sort());
    expect(ids(await search(stranger, "posts", `café ${w}`))).toEqual([open.id]);

    // An edit re-indexes the caption (trigger); a delete takes the post out at once.
    await api("PATCH", `/v1/posts/${open.id}`, { token: author.accessToken, body: { caption: `Tea ${w}` } });
    expect(ids(await search(stranger, "posts", `cafe ${w}`))).toEqual([]);
    expect(ids(await search(stranger, "posts", `tea ${w}`))).toEqual([open.id]);
    await api("DELETE", `/v1/posts/${open.id}`, { token: author.accessToken });
    expect(ids(await search(stranger, "posts", `tea ${w}`))).toEqual([]);
    // Blocked either way: nothing.
    await api("POST", `/v1/users/${author.username}/block`, { token: fan.accessToken });
    expect(ids(await search(fan, "posts", `café ${w}`))).toEqual([]);
  });

  it("pages through results with signed cursors", async () => {
    const author = await createUser();
    const w = word();
    for (let i = 0; i < 5; i++) await publish(author, { caption: `${w} number ${i}` });
    const first = await search(author, "posts", w, "&limit=2");
    const second = await search(author, "posts", w, `&limit=2&cursor=${first.next_cursor}`);
    const third = await search(author, "posts", w, `&limit=2&cursor=${second.next_cursor}`);
    const all = [...first.items, ...second.items, ...third.items].map((p) => p.id);
    expect(new Set(all).size).toBe(5);
    expect(third.next_cursor).toBeNull();
    await expectProblem(
      await api("GET", `/v1/search?type=posts&q=other&cursor=${first.next_cursor}`, { token: author.accessToken }),
      400,
      "invalid_cursor",
    );
  });

  it("the FTS tables are indexed lookups, not scans", async () => {
    const plans = [
      ["SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?1", '"x"'],
      ["SELECT rowid FROM users_fts WHERE users_fts MATCH ?1", '"abc"'],
      ["SELECT rowid FROM users WHERE username >= ?1 AND username < ?1 || 'z' LIMIT 100", "a"],
      ["SELECT tag FROM hashtags WHERE tag >= ?1 AND tag < ?1 || 'z' LIMIT 1000", "a"],
    ];
    for (const [query, arg] of plans) {
      const rows = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`).bind(arg).all<{ detail: string }>();
      const detail = rows.results.map((r) => r.detail).join("; ");
      expect(detail, query).toMatch(/VIRTUAL TABLE INDEX|SEARCH/);
    }
  });
});

describe("more scripts", () => {
  it("Cyrillic, emoji and CJK: accounts by name parts, posts by words", async () => {
    const viewer = await createUser();
    const tag = word();
    const ivan = await createUser({ username: `${tag}_ivan` });
    await rename(ivan, "Иван Петров 🚀");
    expect(names(await search(viewer, "accounts", "петр"))).toContain(ivan.username);
    expect(names(await search(viewer, "accounts", "ИВАН"))).toContain(ivan.username);
    const author = await createUser();
    const post = await publish(author, { caption: `Ночной город ${tag} 夜景がきれい 🌃` });
    const ids = (page: { items: Record<string, unknown>[] }) => page.items.map((p) => p.id);
    expect(ids(await search(viewer, "posts", `НОЧНОЙ город ${tag}`))).toEqual([post.id]);
    expect(ids(await search(viewer, "posts", `${tag} 夜景がきれい`))).toEqual([post.id]);
  });
});
