import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { BOOKMARK_HEADER, type D1SessionStart, isBookmark } from "../../platform/d1-session";

export { BOOKMARK_HEADER };

/**
 * Reads that must not be served by a replica behind the primary, whatever bookmark the client
 * holds (docs/replication.md, "Which requests start at the primary"): each shows or hands out
 * something whose freshness is a security property, or is read by clients that cannot send the
 * bookmark back.
 */
const PRIMARY_READS: readonly RegExp[] = [
  // The session list: right after "end this session" elsewhere, it must not show it alive.
  /^\/v1\/me\/sessions(?:\/|$)/,
  // The account's whole data and its download: never to a session ended a moment ago.
  /^\/v1\/me\/export$/,
  /^\/exports\//,
  // Staff: a revoked role, a just-resolved report, an appeal must be current.
  /^\/v1\/admin(?:\/|$)/,
  // Development only: read right after a write by tests and scripts that keep no bookmark.
  /^\/dev\//,
];

interface RequestFacts {
  method: string;
  path: string;
  /** The `x-d1-bookmark` request header, as sent. */
  bookmark: string | undefined;
  /** The `upgrade` request header, as sent. */
  upgrade: string | undefined;
}

/**
 * Where a request's D1 session starts (docs/replication.md):
 * - writes (anything but GET and HEAD) at the primary, so every read a write depends on (the
 *   session check, blocks, privacy, membership, counters) sees the latest state, not a replica's;
 * - WebSocket upgrades at the primary: they consume a one-use ticket issued a moment ago, and a
 *   browser cannot add the bookmark header to a socket;
 * - the reads in PRIMARY_READS at the primary;
 * - any other read at the client's bookmark (a replica at least as new as what the client last
 *   saw or wrote), or at any replica when it sent none;
 * - a malformed bookmark is ignored and the request starts at the primary, which is at least as
 *   new as any bookmark: the client still reads its writes, and its next bookmark is a good one.
 */
export function d1SessionStart(request: RequestFacts): D1SessionStart {
  if (request.method !== "GET" && request.method !== "HEAD") return "first-primary";
  if (request.upgrade?.toLowerCase() === "websocket") return "first-primary";
  if (PRIMARY_READS.some((pattern) => pattern.test(request.path))) return "first-primary";
  if (request.bookmark === undefined) return "first-unconstrained";
  const bookmark = request.bookmark.trim();
  return isBookmark(bookmark) ? { bookmark } : "first-primary";
}

/**
 * Runs the request in one D1 session (platform/d1-session.ts) and answers its bookmark in
 * `x-d1-bookmark`, for the client to send back on its next request: every response of a request
 * that touched D1 or brought a bookmark carries one, error answers included.
 */
export const d1Session: MiddlewareHandler<AppEnv> = (c, next) =>
  c.var.platform.d1Sessions.run(
    d1SessionStart({
      method: c.req.method,
      path: c.req.path,
      bookmark: c.req.header(BOOKMARK_HEADER),
      upgrade: c.req.header("upgrade"),
    }),
    async (session) => {
      await next();
      const bookmark = session.bookmark();
      if (bookmark !== null) c.res.headers.set(BOOKMARK_HEADER, bookmark);
    },
  );
