import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { edgeCacheFor } from "../../platform/cache";
import { systemClock } from "../../platform/clock";
import { dbFor } from "../../platform/db";
import { hydratePosts } from "../posts/posts.hydrate";
import { POST_COLUMNS, type PostRow } from "../posts/posts.repo";
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

interface OpCounts {
  d1_round_trips: number;
  d1_statements: number;
  d1_rows_read: number;
  kv_gets: number;
  kv_puts: number;
}

/**
 * A D1 binding that counts what passes through it: round trips (a batch is one), statements and
 * `meta.rows_read`. `first()` is answered from `all()` so its meta is seen too.
 */
function countingD1(d1: D1Database, counts: OpCounts): D1Database {
  const note = (result: D1Result<unknown>) => {
    counts.d1_statements++;
    counts.d1_rows_read += result.meta.rows_read ?? 0;
  };
  /** One round trip of one statement, counted. */
  const counted = async <R extends D1Result<unknown>>(call: () => Promise<R>): Promise<R> => {
    counts.d1_round_trips++;
    const result = await call();
    note(result);
    return result;
  };
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all") return () => counted(() => target.all());
        if (prop === "run") return () => counted(() => target.run());
        if (prop === "first") {
          return async (column?: string) => {
            const result = await counted(() => target.all<Record<string, unknown>>());
            const row = result.results[0] ?? null;
            return column === undefined || row === null ? row : (row[column] ?? null);
          };
        }
        if (prop === "__target") return target;
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          counts.d1_round_trips++;
          const raw = statements.map((s) => (s as unknown as { __target: D1PreparedStatement }).__target ?? s);
          const results = await target.batch(raw);
          for (const r of results) note(r);
          return results;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
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
