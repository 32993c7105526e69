import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { Hono } from "hono";
import { follows, posts } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { edgeCacheFor } from "../../platform/cache";
import { systemClock } from "../../platform/clock";
import { countingD1, type D1Counts } from "../../platform/counting-d1";
import { dbFor } from "../../platform/db";
import { hydratePosts } from "../posts/posts.hydrate";
import { type PostRow, postColumnsSql } from "../posts/posts.repo";
import { readFeed } from "./feed.service";

/**
 * Routes for `npm run bench` only, answering 404 unless the BENCH_ROUTES binding is "1" (set by
 * the bench's own Miniflare, never in wrangler.toml). Not in the OpenAPI document: not API.
 *
 * /bench/naive-feed is the baseline a typical clone uses: `author_id IN (followees) ORDER BY id
 * DESC LIMIT 20` straight over posts, plus the same hydration as the real feed.
 */
export const benchRoutes = new Hono<AppEnv>();

benchRoutes.use("*", async (c, next) => {
  if ((c.env as unknown as { BENCH_ROUTES?: string }).BENCH_ROUTES !== "1")
    throw new ApiError("not_found", "No route matches this path.");
  await next();
});

benchRoutes.get("/naive-feed", async (c) => {
  const viewer = c.req.query("user") ?? "";
  const db = dbFor(c.env.DB);
  const p = alias(posts, "p");
  const rows = await db.all<PostRow>(
    sql`SELECT ${postColumnsSql(p)}
        FROM ${posts} ${p} WHERE ${p.deleted_at} IS NULL
          AND ${p.author_id} IN (SELECT ${follows.followee_id} FROM ${follows} WHERE ${follows.follower_id} = ${viewer})
        ORDER BY ${p.id} DESC LIMIT 20`,
  );
  const items = await hydratePosts(
    { db, config: c.get("config"), clock: systemClock, origin: new URL(c.req.url).origin },
    rows,
    viewer,
  );
  return c.json({ items, next_cursor: null });
});

interface OpCounts extends D1Counts {
  kv_gets: number;
  kv_puts: number;
}

/** One feed page for `user`, answering the operations it cost instead of the page. */
benchRoutes.get("/feed-ops", async (c) => {
  const counts: OpCounts = { d1_round_trips: 0, d1_statements: 0, d1_rows_read: 0, kv_gets: 0, kv_puts: 0 };
  const cache = edgeCacheFor(c.env.CACHE);
  const page = await readFeed(
    {
      db: dbFor(countingD1(c.env.DB, counts)),
      config: c.get("config"),
      clock: systemClock,
      origin: new URL(c.req.url).origin,
      cache: {
        getJson: (key) => {
          counts.kv_gets++;
          return cache.getJson(key);
        },
        putJson: (key, value, ttl) => {
          counts.kv_puts++;
          return cache.putJson(key, value, ttl);
        },
        delete: (keys) => cache.delete(keys),
      },
    },
    c.req.query("user") ?? "",
    { limit: 20, fresh: c.req.query("fresh") === "1" },
  );
  return c.json({ ...counts, items: page.items.length });
});
