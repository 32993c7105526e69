import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { byTagsSql, coEngagementSql, trendingSql } from "../../src/features/explore/explore.repo";
import { platformFor } from "../../src/platform";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { type PostBody, publish } from "../helpers/posts";

interface Page {
  items: PostBody[];
  next_cursor: string | null;
}

async function explore(user: TestUser, query = ""): Promise<Page> {
  const res = await api("GET", `/v1/explore${query}`, { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

const like = async (user: TestUser, post: PostBody) =>
  expect((await api("POST", `/v1/posts/${post.id}/like`, { token: user.accessToken })).status).toBe(200);

const ids = (page: Page) => page.items.map((p) => p.id);

describe("explore", () => {
  it("suggests what people with the same likes liked, posts of followed tags, and trending posts; never what it must not", async () => {
    const viewer = await createUser();
    const twin = await createUser();
    const x = await createUser();
    const y = await createUser();
    const z = await createUser();
    const w = await createUser();
    const stranger = await createUser();
    await follow(viewer, z);
    const liked = await publish(x, { caption: "shared taste" });
    const coPick = await publish(y, { caption: "twin likes this" });
    const followedAuthors = await publish(z, { caption: "already followed" });
    await like(viewer, liked);
    for (const p of [liked, coPick, followedAuthors]) await like(twin, p);
    // A followed tag (tags feature: rows as its follow endpoint stores them).
    const tag = `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    await env.DB.prepare("INSERT INTO tag_follows (user_id, tag, id, created_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(viewer.id, tag, crypto.randomUUID(), new Date().toISOString())
      .run();
    const tagged = await publish(w, { caption: `#${tag}` });
    // Things explore must never show.
    const own = await publish(viewer, { caption: "mine" });
    await makePrivate(stranger);
    const privatePost = await publish(stranger, { caption: "private" });
    const closeFriends = await publish(y, { caption: "cf", audience: "close_friends" });
    // (All three are fresh, so the trending source sees them: the filters must drop them.)

    const page = await explore(viewer, "?limit=50");
    expect(ids(page)).toContain(coPick.id);
    expect(ids(page)).toContain(tagged.id);
    for (const never of [liked, followedAuthors, own, privatePost, closeFriends])
      expect(ids(page)).not.toContain(never.id);
  });

  it("a new account with no signals still gets trending posts; blocked and muted authors never appear", async () => {
    const newcomer = await createUser();
    const a = await createUser();
    const b = await createUser();
    const c = await createUser();
    const hot = await publish(a, { caption: "hot" });
    const blocked = await publish(b, { caption: "blocked" });
    const muted = await publish(c, { caption: "muted" });
    await like(b, hot);
    await api("POST", `/v1/users/${newcomer.username}/block`, { token: b.accessToken });
    await api("POST", `/v1/users/${c.username}/mute`, { token: newcomer.accessToken });
    const page = await explore(newcomer, "?limit=50");
    expect(ids(page)).toContain(hot.id);
    expect(ids(page)).not.toContain(blocked.id);
    expect(ids(page)).not.toContain(muted.id);
  });

  it("pages through a snapshot, never repeats, and a new page 1 leaves out what was shown", async () => {
    const viewer = await createUser();
    const authors = await Promise.all(Array.from({ length: 6 }, () => createUser()));
    for (const author of authors) await publish(author, { caption: "fresh" });
    const first = await explore(viewer, "?limit=3");
    expect(first.items).toHaveLength(3);
    // New posts while scrolling do not move the snapshot.
    await publish(await createUser(), { caption: "newer" });
    const second = await explore(viewer, `?limit=3&cursor=${first.next_cursor}`);
    expect(ids(second).filter((id) => ids(first).includes(id))).toEqual([]);
    const again = await explore(viewer, "?limit=50");
    for (const shown of [...ids(first), ...ids(second)]) expect(ids(again)).not.toContain(shown);
    await expectProblem(
      await api("GET", "/v1/explore?cursor=not-a-cursor", { token: viewer.accessToken }),
      400,
      "invalid_cursor",
    );
  });

  it("shows at most one post per author in any 6 consecutive items", async () => {
    const viewer = await createUser();
    const twin = await createUser();
    const prolific = await createUser();
    const seed = await publish(await createUser(), { caption: "seed" });
    await like(viewer, seed);
    await like(twin, seed);
    for (let i = 0; i < 6; i++) await like(twin, await publish(prolific, { caption: `p${i}` }));
    for (let i = 0; i < 6; i++) await publish(await createUser(), { caption: `other ${i}` });
    const page = await explore(viewer, "?limit=50");
    const authors = page.items.map((p) => p.author.id);
    for (let i = 0; i < authors.length; i++) {
      const window = authors.slice(i, i + 6);
      expect(new Set(window).size, `window at ${i}`).toBe(window.length);
    }
    expect(authors).toContain(prolific.id);
  });

  it("reads indexes, never scans a base table", async () => {
    const db = platformFor(env).db;
    for (const query of [coEngagementSql("u"), byTagsSql("u"), trendingSql("0")]) {
      const rows = await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
      const detail = rows.map((r) => r.detail).join("; ");
      expect(detail).not.toMatch(/\bSCAN (l|p|ph|likes|posts|post_hashtags|tag_follows)\b(?! USING)/);
    }
  });
});
