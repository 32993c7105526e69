import { z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { Hono } from "hono";
import { follows, notifications, posts } from "../db/schema";
import type { AppEnv } from "../env";
import { firstPage } from "../features/explore/explore.service";
import { readFeed } from "../features/feed/feed.service";
import { notify } from "../features/notifications/notifications.service";
import { hydratePosts } from "../features/posts/posts.hydrate";
import { type PostRow, postColumnsSql } from "../features/posts/posts.repo";
import { countingPlatform, type OpCounts } from "../platform/counting-d1";
import { NotifyEventSchema } from "../platform/jobs";

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
  const counts: OpCounts = { d1_round_trips: 0, d1_statements: 0, d1_rows_read: 0, kv_gets: 0, kv_puts: 0 };
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
