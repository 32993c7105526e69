import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type AnySQLiteColumn, SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "../db/schema";

/** What drizzle's D1 batch reads from each item: its SQL and parameters, and how its result maps back. */
interface BatchPrepared {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
}

/**
 * drizzle over D1. D1 has no interactive transactions (`db.transaction()` throws): `db.batch()`
 * is the atomic unit, so every multi-row change is one batch.
 */
export function dbFor(d1: D1Database) {
  const db = drizzle(d1, { schema });
  /*
   * drizzle 0.45's D1 batch binds each item through the statement its query builder prepared; a
   * raw `db.run/db.all/db.get(sql`...`)` item has none, and a batch holding one with parameters
   * throws "Cannot read properties of undefined (reading 'bind')". This batch prepares every
   * item's statement from its own SQL and parameters and maps each result as drizzle does
   * (`run`: the D1Result with `meta.changes`, `all`: the rows, `get`: the first row or undefined),
   * so raw and builder items share one atomic batch. Drop it once drizzle's own batch does this.
   */
  const batch: typeof db.batch = async (items) => {
    const prepared = items.map((item) => (item as unknown as { _prepare(): BatchPrepared })._prepare());
    const results = await d1.batch(
      prepared.map((p) => {
        const query = p.getQuery();
        return d1.prepare(query.sql).bind(...query.params);
      }),
    );
    return results.map((result, i) => prepared[i]?.mapResult(result, true)) as never;
  };
  db.batch = batch;
  return db;
}

/** drizzle's D1 database. Queries use its builder or its `sql` template with schema references. */
export type Db = ReturnType<typeof dbFor>;

/** D1 reports a violated UNIQUE index as an error whose message names the constraint. */
export function isUniqueViolation(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/*
 * Keyset bounds on an id column, for a cursor parameter that is null on the first page. Written so
 * SQLite can seek the index: `(?2 IS NULL OR id < ?2)` means the same but cannot bound an index
 * range, so SQLite walks the list from its newest row and filters, and a deep page costs the whole
 * list before it (a post with 200,000 likes, cursor near the end: 10 ms a page against 0.008 ms).
 * Ids are ULIDs (`0-9A-Z`): '~' sorts after every one of them and '' before.
 */

/** `column < cursor`, or no bound when the cursor is null. */
export const idBefore = (column: SQLWrapper, cursor: string | null): SQL => sql`${column} < COALESCE(${cursor}, '~')`;
/** `column > cursor`, or no bound when the cursor is null. */
export const idAfter = (column: SQLWrapper, cursor: string | null): SQL => sql`${column} > COALESCE(${cursor}, '')`;

/**
 * A list of values as a subquery over one bound JSON parameter, for `IN (...)`: D1 allows 100 bound
 * parameters a statement, and a list of ids must not depend on that.
 */
export const inList = (values: readonly unknown[]): SQL =>
  sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;

/**
 * Columns by their bare names, for the column list of an `INSERT … SELECT` or the target of a
 * `SET` in raw SQL, where SQLite takes no table prefix (a column in a template renders as
 * `"table"."column"`). Written from the schema's columns, so a renamed column fails `tsc` here too.
 */
export const columnNames = (...columns: AnySQLiteColumn[]): SQL =>
  sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );

/** Renders drizzle `sql` objects to D1 text and parameters (cachedAll; the bench's counters). */
export const dialect = new SQLiteAsyncDialect();

/**
 * A hot read whose SQL text never changes, only its values: rendered once per isolate, then bound
 * per call. Building and rendering a large drizzle `sql` object costs CPU on every request (the
 * feed's page-1 statement: about 230 µs, a tenth of the request). `build` is called once with a
 * stand-in for each named argument; every bound value that is a stand-in is replaced by the
 * caller's value, and the rest are bound as built. The arguments must only ever be bound values
 * (never change the SQL's shape, never be spread into lists).
 */
export function cachedAll<Row, Args extends Record<string, unknown>>(
  build: (args: Args) => SQL,
  names: readonly (keyof Args & string)[],
): (db: Db, args: Args) => Promise<Row[]> {
  let rendered: { sql: string; params: ({ arg: keyof Args } | { value: unknown })[] } | undefined;
  return async (db, args) => {
    if (!rendered) {
      const standIns = new Map<string, keyof Args & string>(
        names.map((name) => [`\u0000arg:${name}\u0000`, name] as const),
      );
      const query = dialect.sqlToQuery(build(Object.fromEntries([...standIns].map(([s, n]) => [n, s])) as Args));
      rendered = {
        sql: query.sql,
        params: query.params.map((value) => {
          const arg = typeof value === "string" ? standIns.get(value) : undefined;
          return arg === undefined ? { value } : { arg };
        }),
      };
    }
    const values = rendered.params.map((p) => ("arg" in p ? args[p.arg] : p.value));
    const { results } = await db.$client
      .prepare(rendered.sql)
      .bind(...values)
      .all<Row>();
    return results;
  };
}
