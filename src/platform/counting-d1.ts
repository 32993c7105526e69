import type { SQL } from "drizzle-orm";
import { type Db, dbFor, dialect } from "./db";
import type { Platform } from "./index";

/** What `countingD1` counts. */
export interface D1Counts {
  d1_round_trips: number;
  d1_statements: number;
  d1_rows_read: number;
}

/**
 * A D1 binding that counts what passes through it: round trips (a batch is one), statements and
 * `meta.rows_read`. `first()` is answered from `all()` so its meta is seen too. For the bench's
 * `/bench/feed-ops` only (through `countingPlatform`); it lives here because it wraps the
 * binding's `prepare`, and only src/platform/ touches a binding. The production entry never
 * imports this module.
 */
export function countingD1(d1: D1Database, counts: D1Counts): D1Database {
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
        // drizzle's query builder reads through raw(), which returns no meta: counted as a round
        // trip and a statement, its rows read unknown.
        if (prop === "raw") {
          return (options?: { columnNames?: boolean }) => {
            counts.d1_round_trips++;
            counts.d1_statements++;
            return options?.columnNames ? target.raw({ columnNames: true }) : target.raw();
          };
        }
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

/** What `countingPlatform` counts: D1 as `countingD1` does, KV gets and puts, timeline object calls. */
export interface OpCounts extends D1Counts {
  kv_gets: number;
  kv_puts: number;
  timeline_calls: number;
}

/**
 * `platform` with its D1 and KV traffic counted into `counts`: the same drizzle Db over a
 * counting D1 binding, and the same cache with each get and put counted. Everything else is
 * `platform`'s own, so a service given this does exactly what it does for a request.
 */
export function countingPlatform(env: Env, platform: Platform, counts: OpCounts): Platform {
  const { cache, timelines } = platform;
  return {
    ...platform,
    timelines: {
      ...timelines,
      page: (readerId, before, limit) => {
        counts.timeline_calls++;
        return timelines.page(readerId, before, limit);
      },
    },
    db: dbFor(countingD1(env.DB, counts)),
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
  };
}

/**
 * Runs one statement and answers D1's `meta.rows_read` for it, with the rows it returned: the
 * bench's breakdown of a feed page by part (`/bench/feed-rows`). drizzle's `db.all` answers rows
 * only, so the statement goes to the binding here, beside the other counting wrappers.
 */
export async function statementRowsRead(db: Db, statement: SQL): Promise<{ rows_read: number; rows: number }> {
  const query = dialect.sqlToQuery(statement);
  const result = await db.$client
    .prepare(query.sql)
    .bind(...query.params)
    .all();
  return { rows_read: result.meta.rows_read, rows: result.results.length };
}
