import { type Column, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "../db/schema";

/**
 * drizzle over D1. D1 has no interactive transactions (`db.transaction()` throws): `db.batch()`
 * is the atomic unit, so every multi-row change is one batch.
 */
export function dbFor(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** drizzle's D1 database. Queries use its builder or its `sql` template with schema references. */
export type Db = ReturnType<typeof dbFor>;

const dialect = new SQLiteAsyncDialect();

/**
 * Runs statements as one D1 batch (atomic: all or nothing), builder queries and sql templates
 * alike, and answers D1's results in order (`results` rows unmapped, `meta.changes`). drizzle's own
 * `db.batch` cannot carry a `db.run(sql…)` that has bound parameters (0.45: it reads a prepared
 * statement the raw query does not have), and the app's guarded writes are mostly such statements.
 */
export async function batch(db: Db, statements: SQLWrapper[]): Promise<D1Result[]> {
  const d1 = db.$client;
  return d1.batch(
    statements.map((statement) => {
      const query = dialect.sqlToQuery(statement.getSQL());
      return d1.prepare(query.sql).bind(...query.params);
    }),
  );
}

/**
 * A query written with the `sql` template (`db.run/all/get(sql\`...\`)`) made fit to be an item of
 * `db.batch([...])`. drizzle-orm 0.45's D1 batch cannot carry such a query once it has bound values:
 * it binds them to the prepared D1 statement (`stmt`) that builder queries carry and `sql` queries
 * lack, and throws "Cannot read properties of undefined (reading 'bind')". This gives the query that
 * statement; it runs, and its batch result reads, as before (`run`: the D1Result with
 * `meta.changes`; `all`: the rows). Builder queries need nothing.
 */
export function batchable<T extends ReturnType<Db["run"] | Db["all"] | Db["get"]>>(db: Db, query: T): T {
  return Object.assign(query, { stmt: db.$client.prepare(query.getQuery().sql) });
}

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
 * A column by its bare name, for the left side of `SET col = …` in an UPDATE written with the sql
 * template (SQLite refuses a table-qualified name there; the schema reference keeps it typed).
 */
export const bare = (column: SQLiteColumn): SQL => sql`${sql.identifier(column.name)}`;

/**
 * The column list of an `INSERT INTO t (...)` written with the `sql` template (`INSERT OR IGNORE`, or
 * an `INSERT … SELECT` that names fewer columns than the table has: the builder's names them all).
 * A column interpolated in the template renders qualified (`"t"."c"`), which SQLite rejects there;
 * this renders the plain names of the schema's columns, so a renamed column still fails `tsc` at
 * the query.
 */
export const insertColumns = (...columns: Column[]): SQL =>
  sql`(${sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  )})`;

/** `column < param`, or no bound when the parameter is null. */
export const legacyIdBefore = (column: string, param: string) => `${column} < COALESCE(${param}, '~')`;
/** `column > param`, or no bound when the parameter is null. */
export const legacyIdAfter = (column: string, param: string) => `${column} > COALESCE(${param}, '')`;
