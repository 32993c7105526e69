import { drizzle } from "drizzle-orm/d1";
import * as schema from "../db/schema";

/**
 * drizzle over D1. D1 has no interactive transactions (`db.transaction()` throws): `db.batch()`
 * is the atomic unit, so every multi-row change is one batch.
 */
export function dbFor(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** drizzle's D1 database; `$client` is the raw binding, for statements drizzle cannot batch. */
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
