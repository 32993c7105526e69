import { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { Hono } from "hono";
import { follows, notifications, posts, users } from "../db/schema";
import type { AppEnv } from "../env";
import { firstPage } from "../features/explore/explore.service";
import {
  candidateIdsSql,
  FANOUT_CHUNK,
  fanoutBoundaries,
  fanoutPost,
  fanoutReaders,
  feedCardsSql,
} from "../features/feed/feed.repo";
import { readFeed } from "../features/feed/feed.service";
import { notify } from "../features/notifications/notifications.service";
import { hydratePosts } from "../features/posts/posts.hydrate";
import { type PostRow, postColumnsSql } from "../features/posts/posts.repo";
import { countingPlatform, type OpCounts, statementRowsRead } from "../platform/counting-d1";
import { NotifyEventSchema } from "../platform/jobs";
import { timelinesFor } from "../platform/timelines";

/**
 * Routes for `npm run bench` only, mounted by the bench entry (./entry.ts), never by the production
 * app, so they need no run-time gate. Not in the OpenAPI document: not API. They use the request's
 * platform (set by the request middleware) like any feature.
 *
 * /bench/naive-feed is the baseline a typical clone uses: `author_id IN (followees) ORDER BY id
 * DESC LIMIT 20` straight over posts, plus the same hydration as the real feed.
 */
export const benchRoutes = new Hono<AppEnv>();

benchRoutes.get("/naive-feed", async (c) => {
  const viewer = c.req.query("user") ?? "";
  const platform = c.var.platform;
  const p = alias(posts, "p");
  const rows = await platform.db.all<PostRow>(
    sql`SELECT ${postColumnsSql(p)}
        FROM ${posts} ${p} WHERE ${p.deleted_at} IS NULL
          AND ${p.author_id} IN (SELECT ${follows.followee_id} FROM ${follows} WHERE ${follows.follower_id} = ${viewer})
        ORDER BY ${p.id} DESC LIMIT 20`,
  );
  const items = await hydratePosts(platform, rows, viewer);
  return c.json({ items, next_cursor: null });
});

/** One feed page for `user`, answering the operations it cost instead of the page. */
benchRoutes.get("/feed-ops", async (c) => {
  const counts: OpCounts = {
    d1_round_trips: 0,
    d1_statements: 0,
    d1_rows_read: 0,
    kv_gets: 0,
    kv_puts: 0,
    timeline_calls: 0,
  };
  const page = await readFeed(countingPlatform(c.env, c.var.platform, counts), c.req.query("user") ?? "", {
    limit: 20,
    fresh: c.req.query("fresh") === "1",
  });
  return c.json({ ...counts, items: page.items.length });
});

/**
 * Runs notify events through the consumer's function, in order, as one queue batch would: the
 * bench times the request from outside and divides by the notifications written.
 */
benchRoutes.post("/notify", async (c) => {
  const { events } = z.object({ events: z.array(NotifyEventSchema) }).parse(await c.req.json());
  const before = await c.var.platform.db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${notifications}`);
  for (const event of events) await notify(c.var.platform, event);
  const after = await c.var.platform.db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM ${notifications}`);
  return c.json({ events: events.length, written: (after?.n ?? 0) - (before?.n ?? 0) });
});

/** Explore's page 1 for `user`, computed without storing a snapshot or a seen set (repeatable). */
benchRoutes.get("/explore", async (c) => {
  const ids = await firstPage(c.var.platform, c.req.query("user") ?? "");
  return c.json({ items: ids.length });
});

/**
 * Pushes each listed post to all of its author's followers (no queue, no chunking): how the bench
 * seeds the timeline partitions after writing its graph straight into D1.
 */
benchRoutes.post("/timeline-seed", async (c) => {
  const { post_ids } = z.object({ post_ids: z.array(z.string()).max(1_000) }).parse(await c.req.json());
  const platform = c.var.platform;
  let rows = 0;
  for (const id of post_ids) {
    const post = await fanoutPost(platform.db, id);
    if (!post || post.followers_count > platform.config.feed.fanoutMaxFollowers) continue;
    const readers = await fanoutReaders(platform.db, post, null, null);
    rows += await platform.timelines.push({ postId: post.id, authorId: post.author_id }, readers);
  }
  return c.json({ rows });
});

/** Timelines holding `post` over every partition: the bench's "delivered to all" check. */
benchRoutes.get("/timeline-count", async (c) => {
  return c.json({ n: await c.var.platform.timelines.countPost(c.req.query("post") ?? "") });
});

/**
 * A post's whole fan-out into `partitions` partition objects, every range of FANOUT_CHUNK
 * followers at once as the queue's parallel consumers run them, timed inside the Worker: rows/s of
 * the store without the local queue's delivery delay. Objects are named by count, so each count
 * measured writes to its own fresh set.
 */
benchRoutes.post("/fanout", async (c) => {
  const body = z
    .object({ post_id: z.string(), partitions: z.number().int().min(1).max(256) })
    .parse(await c.req.json());
  const platform = c.var.platform;
  const timelines = timelinesFor(c.env.TIMELINES, {
    partitions: body.partitions,
    cap: platform.config.feed.timelineCap,
  });
  const post = await fanoutPost(platform.db, body.post_id);
  if (!post) return c.json({ error: "no such post" }, 404);
  const started = performance.now();
  const bounds = await fanoutBoundaries(platform.db, post.author_id, FANOUT_CHUNK, null);
  const ranges = [null, ...bounds].map((from, i) => ({ after: from, until: bounds[i] ?? null }));
  let readMs = 0;
  const added = await Promise.all(
    ranges.map(async (r) => {
      const t0 = performance.now();
      const readers = await fanoutReaders(platform.db, post, r.after, r.until);
      readMs += performance.now() - t0;
      return timelines.push({ postId: post.id, authorId: post.author_id }, readers);
    }),
  );
  const ms = performance.now() - started;
  return c.json({ rows: added.reduce((a, b) => a + b, 0), ranges: ranges.length, ms, d1_read_ms_summed: readMs });
});

/** Fills `user`'s timeline as fan-out would have: the newest TIMELINE_CAP posts of pushed authors it follows. */
benchRoutes.post("/timeline-backfill", async (c) => {
  const { user } = z.object({ user: z.string() }).parse(await c.req.json());
  const platform = c.var.platform;
  const p = alias(posts, "p");
  const a = alias(users, "a");
  const rows = await platform.db.all<{ postId: string; authorId: string }>(
    sql`SELECT ${p.id} AS postId, ${p.author_id} AS authorId FROM ${follows}
          JOIN ${users} ${a} ON ${a.id} = ${follows.followee_id} AND ${a.followers_count} <= ${platform.config.feed.fanoutMaxFollowers}
          JOIN ${posts} ${p} ON ${p.author_id} = ${follows.followee_id}
        WHERE ${follows.follower_id} = ${user} AND ${p.deleted_at} IS NULL
        ORDER BY ${p.id} DESC LIMIT ${platform.config.feed.timelineCap}`,
  );
  await platform.timelines.add(user, rows);
  return c.json({ rows: rows.length });
});

/** wrangler.toml's partition count, for the bench's fan-outs into the same objects the feed reads. */
benchRoutes.get("/fanout-partitions", (c) => c.json({ partitions: c.var.platform.timelines.partitions }));

/**
 * Where feed page 1's rows read go (KV cold): the one statement, and each source of candidates on
 * its own, run with the same arguments as a real read. D1's `meta.rows_read` of each.
 */
benchRoutes.get("/feed-rows", async (c) => {
  const viewerId = c.req.query("user") ?? "";
  const platform = c.var.platform;
  const window = 25;
  const timelineIds = await platform.timelines.page(viewerId, null, window);
  const args = {
    viewerId,
    timelineJson: JSON.stringify(timelineIds),
    before: null,
    limit: 20,
    window,
    maxFollowers: platform.config.feed.fanoutMaxFollowers,
  };
  const rowsRead = (statement: SQL) => statementRowsRead(platform.db, statement);
  const candidates = (json: string, max: number) =>
    candidateIdsSql({ ...args, timelineJson: json, limit: window, maxFollowers: max });
  return c.json({
    whole_statement: await rowsRead(feedCardsSql(args)),
    candidates_all_sources: await rowsRead(candidates(args.timelineJson, args.maxFollowers)),
    candidates_without_timeline: await rowsRead(candidates("[]", args.maxFollowers)),
    // With no author above the threshold (a threshold no count reaches): the own-posts part alone.
    candidates_own_posts_only: await rowsRead(candidates("[]", Number.MAX_SAFE_INTEGER)),
  });
});
