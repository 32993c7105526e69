import { AsyncLocalStorage } from "node:async_hooks";
import { sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { refreshTokens, users } from "../db/schema";

/**
 * Access tokens that stop working at once, without a D1 round trip of their own (docs/moderation.md,
 * "Sessions that end at once").
 *
 * An access token is a JWT valid for its TTL; suspending an account, revoking a session (logout,
 * refresh-token reuse) or changing a role must refuse it before it expires. The check is one SQL
 * statement over the account row and the token's refresh family (`sessionCheck`). Rather than
 * a round trip of its own before the handler, it rides on the request's FIRST D1 call:
 * - a batch (every write of this code base is one) gets the check as its first statement: D1 runs
 *   a batch as one transaction, and the check raises an SQL error when the session is no longer
 *   valid, so the batch rolls back and nothing is written;
 * - a single `all`/`first`/`run` becomes a batch of [check, statement] (one round trip, objects);
 * - a single `raw` read (drizzle's column-ordered reads, which a batch cannot return faithfully when
 *   two columns share a name) runs beside the check, in parallel, and its rows are released only
 *   if the check passed; a `raw` write (`INSERT … RETURNING`) is batched like the others.
 * Once a check has passed, the request's later calls go out untouched. A request that makes no D1
 * call at all is checked once before its response leaves (`verifyRequestSession`).
 *
 * The request's session travels in an AsyncLocalStorage set by the auth middleware; queue
 * consumers, crons and Durable Objects run outside one and are never checked.
 */
export interface SessionClaims {
  userId: string;
  sessionId: string;
  role: string;
}

interface GuardState {
  claims: SessionClaims;
  /** The route serves an account whose deletion is pending (docs/accounts.md, "Grace period"). */
  allowPendingDeletion: boolean;
  passed: boolean;
}

const current = new AsyncLocalStorage<GuardState>();

/**
 * The session is still valid: the account exists, is not suspended, is not deleted (unless the
 * route serves an account in its deletion grace period, ?4 = 1: `GET /v1/me` and
 * `POST /v1/me/restore`, docs/accounts.md), still has the role the token names, and the token's
 * refresh family has not been revoked. When it is not, `abs()` of the smallest 64-bit integer
 * raises "integer overflow", which aborts the statement and its batch.
 */
const ARG = { user: "\u0000user", role: "\u0000role", session: "\u0000session", pending: "\u0000pending" } as const;
/**
 * Rendered once from the schema's columns (a renamed column fails `tsc` here too), with a stand-in
 * for each value; `check` binds the request's values in the stand-ins' places.
 */
const sessionCheck = new SQLiteAsyncDialect().sqlToQuery(sql`SELECT CASE WHEN
    EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${ARG.user} AND ${users.role} = ${ARG.role}
      AND ${users.suspended_at} IS NULL AND (${users.deleted_at} IS NULL OR ${ARG.pending} = 1))
    AND NOT EXISTS (SELECT 1 FROM ${refreshTokens} WHERE ${refreshTokens.family_id} = ${ARG.session}
      AND ${refreshTokens.revoked_at} IS NOT NULL)
  THEN 1 ELSE abs(-9223372036854775807 - 1) END AS session_ok`);

/** Thrown (and answered 401 by the error handler) when the request's session is no longer valid. */
export class SessionRevokedError extends Error {
  constructor() {
    super("The session has ended.");
    this.name = "SessionRevokedError";
  }
}

/**
 * Thrown (and answered 403 `account_pending_deletion`) when the session is valid but its account's
 * deletion is pending and the route does not serve such an account (docs/accounts.md).
 */
export class AccountPendingDeletionError extends Error {
  constructor() {
    super("The account is scheduled for deletion.");
    this.name = "AccountPendingDeletionError";
  }
}

/**
 * Runs `fn` with `claims` as the request's session: its first D1 call checks them. With
 * `allowPendingDeletion`, an account whose deletion is pending passes the check.
 */
export function withSession<T>(
  claims: SessionClaims,
  fn: () => Promise<T>,
  options: { allowPendingDeletion?: boolean } = {},
): Promise<T> {
  return current.run({ claims, allowPendingDeletion: options.allowPendingDeletion ?? false, passed: false }, fn);
}

const WRITE_VERB = /^\s*(insert|update|delete|replace)\b/i;
/** A statement that may write: it starts with a write, or its CTEs lead to one. */
const mayWrite = (text: string) =>
  WRITE_VERB.test(text) || (/^\s*with\b/i.test(text) && /\b(insert|update|delete|replace)\b/i.test(text));

type Unwrappable = D1PreparedStatement & { readonly __inner?: D1PreparedStatement };

function check(d1: D1Database, state: GuardState, allowPendingDeletion = state.allowPendingDeletion) {
  const { claims } = state;
  const values: Record<string, unknown> = {
    [ARG.user]: claims.userId,
    [ARG.role]: claims.role,
    [ARG.session]: claims.sessionId,
    [ARG.pending]: allowPendingDeletion ? 1 : 0,
  };
  return d1.prepare(sessionCheck.sql).bind(...sessionCheck.params.map((p) => values[String(p)]));
}

async function passes(statement: D1PreparedStatement): Promise<boolean> {
  try {
    await statement.first();
    return true;
  } catch {
    return false;
  }
}

/**
 * After the check failed: the session ended (401), or it stands but its account's deletion is
 * pending and this route does not serve that (403). One more read, only on a refused request.
 */
async function refusal(d1: D1Database, state: GuardState): Promise<Error> {
  if (!state.allowPendingDeletion && (await passes(check(d1, state, true)))) return new AccountPendingDeletionError();
  return new SessionRevokedError();
}

/** After a failed guarded call: was it the check? Then the session is refused; else the call's own error. */
async function explain(d1: D1Database, state: GuardState, err: unknown): Promise<never> {
  if (!(await passes(check(d1, state)))) throw await refusal(d1, state);
  throw err;
}

/** `d1` with the request's session check riding on the first call of each request (see above). */
export function sessionGuarded(d1: D1Database): D1Database {
  const pending = (): GuardState | undefined => {
    const state = current.getStore();
    return state && !state.passed ? state : undefined;
  };
  const guardedBatch = async <T>(state: GuardState, statements: D1PreparedStatement[]): Promise<D1Result<T>[]> => {
    try {
      const [, ...results] = await d1.batch<T>([check(d1, state), ...statements]);
      state.passed = true;
      return results;
    } catch (err) {
      return explain(d1, state, err);
    }
  };
  const wrap = (inner: D1PreparedStatement, text: string): D1PreparedStatement =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === "__inner") return target;
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), text);
        if (prop === "all" || prop === "run" || prop === "first") {
          return async (column?: string) => {
            const state = pending();
            if (!state) {
              if (prop === "first") return column === undefined ? target.first() : target.first(column);
              return prop === "all" ? target.all() : target.run();
            }
            const [result] = await guardedBatch<Record<string, unknown>>(state, [target]);
            if (!result) throw new Error("D1 returned no result for a batched statement");
            if (prop !== "first") return result;
            const row = result.results[0] ?? null;
            return column === undefined || row === null ? row : (row[column] ?? null);
          };
        }
        if (prop === "raw") {
          return async (options?: { columnNames?: boolean }) => {
            const state = pending();
            const read = () => (options?.columnNames ? target.raw({ columnNames: true }) : target.raw());
            if (!state) return read();
            if (mayWrite(text)) {
              // A write must not commit for an ended session: check and write in one transaction,
              // then read the written rows back in column order from the batch's objects (a
              // RETURNING clause names the columns of one table, so no two share a name).
              const [result] = await guardedBatch<Record<string, unknown>>(state, [target]);
              const rows = (result?.results ?? []).map((row) => Object.values(row));
              return options?.columnNames ? [Object.keys(result?.results[0] ?? {}), ...rows] : rows;
            }
            const [ok, rows] = await Promise.allSettled([check(d1, state).first(), read()]);
            if (ok.status === "rejected") return explain(d1, state, ok.reason);
            state.passed = true;
            if (rows.status === "rejected") throw rows.reason;
            return rows.value;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch") {
        return async <T>(statements: D1PreparedStatement[]) => {
          const inner = statements.map((s) => (s as Unwrappable).__inner ?? s);
          const state = pending();
          return state ? guardedBatch<T>(state, inner) : target.batch<T>(inner);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * For a request that made no D1 call: checks the session now (one round trip, only on routes that
 * never touch D1). Throws SessionRevokedError when it has ended.
 */
export async function verifyRequestSession(d1: D1Database): Promise<void> {
  const state = current.getStore();
  if (!state || state.passed) return;
  if (!(await passes(check(d1, state)))) throw await refusal(d1, state);
  state.passed = true;
}
