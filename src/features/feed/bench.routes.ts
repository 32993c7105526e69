import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { systemClock } from "../../platform/clock";
import { dbFor } from "../../platform/db";
import { hydratePosts } from "../posts/posts.hydrate";
import { POST_COLUMNS, type PostRow } from "../posts/posts.repo";

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
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_COLUMNS}
       FROM posts p WHERE p.deleted_at IS NULL
         AND p.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?1)
       ORDER BY p.id DESC LIMIT 20`,
    )
    .bind(viewer)
    .all<PostRow>();
  const items = await hydratePosts(
    { db, config: c.get("config"), clock: systemClock, origin: new URL(c.req.url).origin },
    results,
    viewer,
  );
  return c.json({ items, next_cursor: null });
});
