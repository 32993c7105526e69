import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type SQL, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { recentTaggedSql, topCandidatesSql, trendWindowSql } from "../../src/features/tags/tags.repo";
import { refreshTrends } from "../../src/features/tags/tags.service";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { dbFor } from "../../src/platform/db";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { publish } from "../helpers/posts";

const ok = async (res: Promise<Response>) => expect((await res).status).toBeLessThan(300);

/** A unique tag for this test, so parallel files do not see each other's posts. */
const word = () => `tg${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;

interface Page {
  items: { id: string; caption: string }[];
  next_cursor: string | null;
}

async function tagPosts(tag: string, user: TestUser | null, query = ""): Promise<Page> {
  const res = await api("GET", `/v1/tags/${encodeURIComponent(tag)}/posts${query}`, {
    token: user?.accessToken,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

/** Every page of a list, following next_cursor. */
async function allPages(tag: string, user: TestUser | null, query: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await tagPosts(tag, user, `${query}${cursor ? `&cursor=${cursor}` : ""}`);
    pages.push(page.items.map((p) => p.id));
    cursor = page.next_cursor;
  } while (cursor && pages.length < 20);
  return pages;
}

const uses = async (tag: string, day = new Date().toISOString().slice(0, 10)) =>
  (
    await env.DB.prepare("SELECT uses FROM tag_daily_uses WHERE tag = ? AND day = ?")
      .bind(tag, day)
      .first<{ uses: number }>()
  )?.uses ?? 0;

afterEach(() => setClock(null));

describe("the tag page", () => {
  it("normalises the tag, counts live posts, answers 0 for an unused tag and 422 for a non-tag", async () => {
    const author = await createUser();
    const t = word();
    await publish(author, { caption: `#${t}Café` });
    const second = await publish(author, { caption: `#${t}CAFÉ again` });
    for (const name of [`${t}café`, `#${t}CAFÉ`, `${t.toUpperCase()}Café`]) {
      const res = await api("GET", `/v1/tags/${encodeURIComponent(name)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ tag: `${t}café`, post_count: 2, following: false });
    }
    await ok(api("DELETE", `/v1/posts/${second.id}`, { token: author.accessToken }));
    expect(await (await api("GET", `/v1/tags/${t}café`)).json()).toMatchObject({ post_count: 1 });
    expect(await (await api("GET", `/v1/tags/${t}never`)).json()).toEqual({
      tag: `${t}never`,
      post_count: 0,
      following: false,
    });
    for (const bad of ["a-b", "123", "_1", "%20", "x".repeat(101), "%23%23a", "a%23b", "😀"]) {
      await expectProblem(await api("GET", `/v1/tags/${bad}`), 422, "validation_failed");
      await expectProblem(await api("GET", `/v1/tags/${bad}/posts`), 422, "validation_failed");
      await expectProblem(
        await api("POST", `/v1/tags/${bad}/follow`, { token: author.accessToken }),
        422,
        "validation_failed",
      );
    }
    await expectProblem(await api("GET", `/v1/tags/${t}/posts?sort=best`), 422, "validation_failed");
  });

  it("follows and unfollows idempotently, and shows it on the page", async () => {
    const user = await createUser();
    const t = word();
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/v1/tags/%23${t.toUpperCase()}/follow`, { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ following: true });
    }
    const rows = await env.DB.prepare("SELECT tag FROM tag_follows WHERE user_id = ?").bind(user.id).all();
    expect(rows.results).toEqual([{ tag: t }]);
    expect(await (await api("GET", `/v1/tags/${t}`, { token: user.accessToken })).json()).toMatchObject({
      following: true,
    });
    // Anonymous and other users: false.
    expect(await (await api("GET", `/v1/tags/${t}`)).json()).toMatchObject({ following: false });
    for (let i = 0; i < 2; i++) {
      const res = await api("DELETE", `/v1/tags/${t}/follow`, { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ following: false });
    }
    expect(await (await api("GET", `/v1/tags/${t}`, { token: user.accessToken })).json()).toMatchObject({
      following: false,
    });
    await expectProblem(await api("POST", `/v1/tags/${t}/follow`), 401, "unauthorized");
    await expectProblem(await api("DELETE", `/v1/tags/${t}/follow`), 401, "unauthorized");
  });
});

describe("tag posts", () => {
  it("recent: newest first, keyset pages that cover every post once", async () => {
    const author = await createUser();
    const t = word();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await publish(author, { caption: `#${t} ${i}` })).id);
    await publish(author, { caption: `#${t}other` });
    const pages = await allPages(t, null, "?sort=recent&limit=2");
    expect(pages).toEqual([[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]);
    // The default is recent; a cursor belongs to its tag and sort.
    const first = await tagPosts(t, null, "?limit=2");
    expect(first.items.map((p) => p.id)).toEqual([ids[4], ids[3]]);
    await expectProblem(
      await api("GET", `/v1/tags/${t}other/posts?limit=2&cursor=${first.next_cursor}`),
      400,
      "invalid_cursor",
    );
    await expectProblem(
      await api("GET", `/v1/tags/${t}/posts?sort=top&cursor=${first.next_cursor}`),
      400,
      "invalid_cursor",
    );
  });

  it("shows each viewer only what the post reads allow: private, followers, close friends, deleted, blocked", async () => {
    const t = word();
    const [author, priv, fan, friend, stranger, blocker] = await Promise.all([
      createUser(),
      createUser(),
      createUser(),
      createUser(),
      createUser(),
      createUser(),
    ]);
    const open = await publish(author, { caption: `#${t} open` });
    const followers = await publish(author, { caption: `#${t} followers`, audience: "followers" });
    const close = await publish(author, { caption: `#${t} close`, audience: "close_friends" });
    const gone = await publish(author, { caption: `#${t} gone` });
    await ok(api("DELETE", `/v1/posts/${gone.id}`, { token: author.accessToken }));
    await makePrivate(priv);
    const hidden = await publish(priv, { caption: `#${t} private` });
    await follow(fan, author);
    await follow(fan, priv);
    await ok(api("POST", `/v1/me/follow-requests/${fan.username}/approve`, { token: priv.accessToken }));
    await ok(api("PUT", `/v1/me/close-friends/${friend.username}`, { token: author.accessToken }));
    await ok(api("POST", `/v1/users/${author.username}/block`, { token: blocker.accessToken }));

    const seen = async (user: TestUser | null, sort: string) =>
      (await allPages(t, user, `?sort=${sort}&limit=50`)).flat().sort();
    const expected: [TestUser | null, string[]][] = [
      [null, [open.id]],
      [stranger, [open.id]],
      [friend, [open.id, close.id]],
      [fan, [open.id, followers.id, hidden.id]],
      [author, [open.id, followers.id, close.id]],
      [priv, [open.id, hidden.id]],
      [blocker, []],
    ];
    for (const sort of ["recent", "top"]) {
      for (const [user, ids] of expected)
        expect(await seen(user, sort), `${user?.username} ${sort}`).toEqual(ids.sort());
    }
  });

  it("recent: a page short of posts the viewer may see still pages on to the rest", async () => {
    const t = word();
    const author = await createUser();
    const secret = await createUser();
    const visible = await publish(author, { caption: `#${t} old` });
    // More hidden posts than one page reads in all its rounds (4 × (1 + 10)).
    for (let i = 0; i < 45; i++) await publish(secret, { caption: `#${t} ${i}`, audience: "followers" });
    const pages = await allPages(t, null, "?limit=1");
    expect(pages.flat()).toEqual([visible.id]);
    expect(pages.length).toBeGreaterThan(1);
  });

  it("top: engagement decayed with age over the last 7 days, in an order that holds across pages", async () => {
    const t = word();
    const author = await createUser();
    const posts: string[] = [];
    for (let i = 0; i < 5; i++) posts.push((await publish(author, { caption: `#${t} ${i}` })).id);
    const [p0, p1, p2, p3, p4] = posts;
    // Engagement set directly: likes 1, comments 2, saves 3 (so p2 > p0 > p4 > the rest by id).
    const set = (id: string | undefined, likes: number, comments: number, saves: number) =>
      env.DB.prepare("UPDATE posts SET like_count = ?, comment_count = ?, save_count = ? WHERE id = ?")
        .bind(likes, comments, saves, id ?? "")
        .run();
    await set(p0, 10, 0, 0);
    await set(p2, 0, 0, 5);
    await set(p4, 3, 0, 0);
    const first = await tagPosts(t, null, "?sort=top&limit=2");
    expect(first.items.map((p) => p.id)).toEqual([p2, p0]);
    // A new, heavily liked post after page 1 does not move the pages the reader has yet to read.
    const late = await publish(author, { caption: `#${t} late` });
    await set(late.id, 1000, 0, 0);
    const second = await tagPosts(t, null, `?sort=top&limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((p) => p.id)).toEqual([p4, p3]);
    const third = await tagPosts(t, null, `?sort=top&limit=2&cursor=${second.next_cursor}`);
    expect(third.items.map((p) => p.id)).toEqual([p1]);
    expect(third.next_cursor).toBeNull();
    // A fresh page 1 sees it.
    expect((await tagPosts(t, null, "?sort=top&limit=1")).items.map((p) => p.id)).toEqual([late.id]);
    // Eight days on, the window is empty; one day on, the order is the same (the same decay for all).
    const now = Date.now();
    setClock({ now: () => new Date(now + 8 * 86_400_000) });
    expect((await tagPosts(t, null, "?sort=top")).items).toEqual([]);
    setClock({ now: () => new Date(now + 86_400_000) });
    expect((await tagPosts(t, null, "?sort=top&limit=3")).items.map((p) => p.id)).toEqual([late.id, p2, p0]);
  });
});

describe("daily uses", () => {
  it("counts public posts of public accounts with the post, and tags a caption edit adds", async () => {
    const t = word();
    const author = await createUser();
    const priv = await createUser();
    await makePrivate(priv);
    const post = await publish(author, { caption: `#${t}a #${t}a #${t}b` });
    await publish(author, { caption: `#${t}a` });
    expect([await uses(`${t}a`), await uses(`${t}b`)]).toEqual([2, 1]);
    // Not counted: a followers or close-friends post, any post of a private account.
    await publish(author, { caption: `#${t}a`, audience: "followers" });
    await publish(author, { caption: `#${t}a`, audience: "close_friends" });
    await publish(priv, { caption: `#${t}a` });
    expect(await uses(`${t}a`)).toBe(2);
    // An edit counts only the tags it adds.
    await ok(api("PATCH", `/v1/posts/${post.id}`, { token: author.accessToken, body: { caption: `#${t}a #${t}c` } }));
    expect([await uses(`${t}a`), await uses(`${t}b`), await uses(`${t}c`)]).toEqual([2, 1, 1]);
    // A delete does not take a use back (it was observed; the trends exclude tags left on few live posts).
    await ok(api("DELETE", `/v1/posts/${post.id}`, { token: author.accessToken }));
    expect(await uses(`${t}a`)).toBe(2);
  });
});

describe("trends", () => {
  it("the hourly refresh stores the tags that stand out, and GET /trending reads them", async () => {
    const t = word();
    // A day no other test writes: noon UTC, 1 March 2031.
    const noon = Date.parse("2031-03-01T12:00:00.000Z");
    const day = (ago: number) => new Date(noon - ago * 86_400_000).toISOString().slice(0, 10);
    const history: Record<string, { live: number; days: number[] }> = {
      [`${t}surge`]: { live: 100, days: [30, 10, 10, 10, 10, 10, 10, 10, 10] },
      [`${t}new`]: { live: 100, days: [15] },
      [`${t}yesterday`]: { live: 100, days: [0, 21] },
      [`${t}steady`]: { live: 100, days: [10, 10, 10, 10, 10, 10, 10, 10, 10] },
      [`${t}few`]: { live: 100, days: [4] },
      [`${t}deleted`]: { live: 2, days: [30] },
      [`${t}old`]: { live: 100, days: [0, 0, 0, 50] },
    };
    for (const [tag, h] of Object.entries(history)) {
      await env.DB.prepare("INSERT INTO hashtags (tag, post_count) VALUES (?, ?)").bind(tag, h.live).run();
      for (const [ago, n] of h.days.entries()) {
        if (n > 0) {
          await env.DB.prepare("INSERT INTO tag_daily_uses (tag, day, uses) VALUES (?, ?, ?)")
            .bind(tag, day(ago), n)
            .run();
        }
      }
    }
    setClock({ now: () => new Date(noon) });
    expect(await refreshTrends(platformFor(env))).toBe(3);
    const res = await api("GET", "/v1/tags/trending");
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      items: { tag: string; rank: number; score: number; uses_today: number; expected: number }[];
      computed_at: string;
    };
    expect(body.computed_at).toBe("2031-03-01T12:00:00.000Z");
    expect(body.items.map((i) => [i.tag, i.rank, i.uses_today])).toEqual([
      [`${t}surge`, 1, 30],
      [`${t}new`, 2, 15],
      [`${t}yesterday`, 3, 0],
    ]);
    expect(body.items.map((i) => i.score)).toEqual([40, 20, expect.closeTo(12.8, 10)]);
    expect(body.items[0]?.expected).toBe(10);
    // The next refresh replaces the list: two days on, nothing stands out.
    setClock({ now: () => new Date(noon + 2 * 86_400_000) });
    expect(await refreshTrends(platformFor(env))).toBe(0);
    expect(((await (await api("GET", "/v1/tags/trending")).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("is refreshed by the hourly cron", async () => {
    const tag = word();
    await env.DB.prepare("INSERT INTO hashtags (tag, post_count) VALUES (?, 1000)").bind(tag).run();
    await env.DB.prepare("INSERT INTO tag_daily_uses (tag, day, uses) VALUES (?, ?, 1000)")
      .bind(tag, new Date().toISOString().slice(0, 10))
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const body = (await (await api("GET", "/v1/tags/trending")).json()) as { items: { tag: string }[] };
    expect(body.items.map((i) => i.tag)).toContain(tag);
  });
});

describe("query plans", () => {
  const db = dbFor(env.DB);
  const plan = async (query: SQL) =>
    (await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`)).map((r) => r.detail).join(" | ");

  it("read index ranges and key lookups, never a scan of posts, post_hashtags or tag_daily_uses", async () => {
    const plans = [
      await plan(recentTaggedSql({ viewerId: "V", tag: "x", before: "01ARZ3NDEKTSV4RRFFQ69G5FAV", limit: 30 })),
      await plan(recentTaggedSql({ viewerId: null, tag: "x", before: null, limit: 30 })),
      await plan(topCandidatesSql({ viewerId: "V", tag: "x", from: "0", until: "Z", limit: 500 })),
      await plan(
        trendWindowSql({
          today: "2031-03-01",
          yesterday: "2031-02-28",
          firstDay: "2031-02-21",
          minUses: 5,
          candidates: 1000,
        }),
      ),
    ];
    for (const detail of plans) {
      expect(detail).not.toMatch(/SCAN (p|ph|posts|post_hashtags|d|tag_daily_uses|users|u|h|hashtags)\b/);
    }
    expect(plans[0]).toMatch(/post_hashtags_tag_idx \(tag=\? AND post_id<\?\)/);
    expect(plans[2]).toMatch(/post_hashtags_tag_idx \(tag=\? AND post_id>\? AND post_id<\?\)/);
    expect(plans[3]).toMatch(/tag_daily_uses_day_idx \(day=\?\)/);
  });
});
