import { AsyncLocalStorage } from "node:async_hooks";

/**
 * D1 read replication through the Sessions API (docs/replication.md).
 *
 * Each HTTP request runs in one D1 session, opened by the request middleware
 * (`http/middleware/d1-session.ts`) where its first query may go: `"first-primary"`,
 * `"first-unconstrained"` (any replica), or the client's bookmark (any replica at least as new as
 * it). Every query of the request then reads a database at least as new as the one before it
 * (sequential consistency within a session, Cloudflare's documented guarantee), and the session's
 * bookmark after the request goes back to the client (in a signed token with the time its session
 * last started at the primary, http/middleware/d1-session.ts), which sends it on its next request,
 * so a person always reads their own writes and no read is more than a bounded time behind.
 *
 * The platform's D1 binding is built once per isolate (platform/index.ts), so the request's
 * session travels in an AsyncLocalStorage, as the request's auth session does
 * (platform/session-guard.ts): `sessionRouted` sends every `prepare` and `batch` to the open
 * session. Queue consumers, crons and Durable Objects run outside any request session, and their
 * queries go to the binding itself, which without the Sessions API always means the primary.
 */

/** Where a request's session starts: a constraint, or the bookmark a client sent back. */
export type D1SessionStart = "first-primary" | "first-unconstrained" | { bookmark: string };

/** The request and response header carrying the session bookmark (README, "HTTP conventions"). */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/**
 * D1's bookmark shape: four hex groups, 8-8-8-32 (Cloudflare's Time Travel bookmarks, e.g.
 * `00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683`; local D1 answers the same shape).
 */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/** Whether a client-sent value has the shape of a D1 bookmark (anything else is never passed to D1). */
export const isBookmark = (value: string): boolean => BOOKMARK.test(value);

const current = new AsyncLocalStorage<D1DatabaseSession>();

/**
 * `d1` with its `prepare` and `batch` sent to the current request's session when one is open, and
 * to the binding itself (the primary) otherwise. Everything else (`exec`, `dump`) is the binding's.
 */
export function sessionRouted(d1: D1Database): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      const session = current.getStore();
      if (session && (prop === "prepare" || prop === "batch")) return session[prop].bind(session);
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Opens request sessions on a D1 binding. */
export interface D1Sessions {
  /**
   * Runs `fn` with every D1 query of it (and of the work it leaves behind, `waitUntil` included)
   * in one session opened at `start`; `bookmark()` is the session's latest bookmark (null when it
   * made no query and started from a constraint).
   */
  run<T>(start: D1SessionStart, fn: (session: { bookmark(): string | null }) => Promise<T>): Promise<T>;
}

export function d1SessionsFor(d1: D1Database): D1Sessions {
  return {
    run(start, fn) {
      const session = d1.withSession(typeof start === "string" ? start : start.bookmark);
      return current.run(session, () => fn({ bookmark: () => session.getBookmark() }));
    },
  };
}
