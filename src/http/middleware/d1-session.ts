import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "../../platform/crypto";
import { BOOKMARK_HEADER, type D1SessionStart, isBookmark } from "../../platform/d1-session";

export { BOOKMARK_HEADER };

/**
 * How stale a read served by a D1 replica may be: another person's change (a block, an unfollow,
 * a switch to private, a suspension, an ended session) is seen by every request at most this long
 * after it was committed (docs/replication.md, "The staleness bound"). Cloudflare states no upper
 * bound on replica lag ("a read replica may be arbitrarily out of date"), so this one is the
 * application's own: a client's token says when its session last started at the primary, and a
 * token older than this starts the next request at the primary again.
 */
export const REPLICA_MAX_STALENESS_MS = 30_000;

/**
 * Reads that must not be served by a replica behind the primary, whatever token the client holds
 * (docs/replication.md, "Which requests start where"): each shows or hands out something whose
 * freshness is a security property, or is read by clients that cannot send the token back.
 */
const PRIMARY_READS: readonly RegExp[] = [
  // The session list: right after "end this session" elsewhere, it must not show it alive.
  /^\/v1\/me\/sessions(?:\/|$)/,
  // The account's whole data and its download: never to a session ended a moment ago.
  /^\/v1\/me\/export$/,
  /^\/exports\//,
  // Staff: a revoked role, a just-resolved report, an appeal must be current.
  /^\/v1\/admin(?:\/|$)/,
  // Development only: read right after a write by tests and scripts that keep no token.
  /^\/dev\//,
];

/**
 * Reads that tolerate any replica, however far behind: signed image URLs, fetched by `<img>`
 * (which sends no token). The URL was handed out by a read that applied the policy; the delivery
 * reads only the media row's status.
 */
const ANY_REPLICA_READS: readonly RegExp[] = [/^\/media\//];

/**
 * The token in `x-d1-bookmark`: `<D1 bookmark>.<fresh-at, ms>.<MAC>`. Fresh-at is when the
 * session the bookmark descends from started at the primary: a session starting from this
 * bookmark reads a database at least as new as the primary was then. The MAC (SIGNING_SECRET)
 * binds the two, so a client cannot pair an old bookmark with a recent time. Tokens sort oldest
 * to newest as strings, as D1 bookmarks do (the time has 13 digits until the year 2286).
 */
const TOKEN = /^([0-9a-f-]{59})\.(\d{13})\.([A-Za-z0-9_-]{22})$/;
const MAC_BYTES = 16;

const macOf = async (secret: string, bookmark: string, freshAt: number) =>
  (await hmacSha256(secret, `d1-bookmark:${bookmark}.${freshAt}`)).slice(0, MAC_BYTES);

export async function encodeBookmarkToken(secret: string, bookmark: string, freshAt: number): Promise<string> {
  return `${bookmark}.${freshAt}.${base64UrlEncode(await macOf(secret, bookmark, freshAt))}`;
}

/** The token's bookmark and time, when it is one of ours; null otherwise. */
export async function decodeBookmarkToken(
  secret: string,
  token: string,
): Promise<{ bookmark: string; freshAt: number } | null> {
  const match = TOKEN.exec(token.trim());
  const [, bookmark, time, macText] = match ?? [];
  if (bookmark === undefined || time === undefined || macText === undefined || !isBookmark(bookmark)) return null;
  const freshAt = Number(time);
  const mac = base64UrlDecode(macText);
  if (!mac || !timingSafeEqual(mac, await macOf(secret, bookmark, freshAt))) return null;
  return { bookmark, freshAt };
}

interface RequestFacts {
  method: string;
  path: string;
  /** The `upgrade` request header, as sent. */
  upgrade: string | undefined;
  /** The client's token, decoded and verified; null when absent, malformed or forged. */
  token: { bookmark: string; freshAt: number } | null;
  now: number;
}

/** Where the request's session starts, and the fresh-at time of the token it answers. */
export interface SessionPlan {
  start: D1SessionStart;
  freshAt: number | null;
}

/**
 * Where a request's D1 session starts (docs/replication.md):
 * - writes (anything but GET and HEAD) at the primary, so every read a write depends on (the
 *   session check, blocks, privacy, membership, counters) sees the latest state;
 * - WebSocket upgrades at the primary: they consume a one-use ticket issued a moment ago, and a
 *   browser cannot add a header to a socket;
 * - the reads in PRIMARY_READS at the primary;
 * - image delivery at any replica;
 * - any other read at the client's bookmark (a replica at least as new as what the client last
 *   read or wrote) while its token is under REPLICA_MAX_STALENESS_MS old, else at the primary:
 *   without a token, with a malformed or forged one (ignored, not refused: see docs/replication.md),
 *   or with an old one.
 */
export function planSession(request: RequestFacts): SessionPlan {
  const primary: SessionPlan = { start: "first-primary", freshAt: request.now };
  if (request.method !== "GET" && request.method !== "HEAD") return primary;
  if (request.upgrade?.toLowerCase() === "websocket") return primary;
  if (PRIMARY_READS.some((pattern) => pattern.test(request.path))) return primary;
  if (ANY_REPLICA_READS.some((pattern) => pattern.test(request.path))) {
    return { start: "first-unconstrained", freshAt: null };
  }
  const { token } = request;
  if (token === null || request.now - token.freshAt > REPLICA_MAX_STALENESS_MS) return primary;
  return { start: { bookmark: token.bookmark }, freshAt: token.freshAt };
}

/**
 * Runs the request in one D1 session (platform/d1-session.ts) and answers the session's token in
 * `x-d1-bookmark`, for the client to send back on its next request: every response of a request
 * that touched D1 or brought a valid token carries one, error answers included.
 */
export const d1Session: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { platform } = c.var;
  const secret = platform.config.signingSecret;
  const sent = c.req.header(BOOKMARK_HEADER);
  const plan = planSession({
    method: c.req.method,
    path: c.req.path,
    upgrade: c.req.header("upgrade"),
    token: sent === undefined ? null : await decodeBookmarkToken(secret, sent),
    now: platform.clock.now().getTime(),
  });
  await platform.d1Sessions.run(plan.start, async (session) => {
    await next();
    const bookmark = session.bookmark();
    if (bookmark === null || plan.freshAt === null) return;
    c.res.headers.set(BOOKMARK_HEADER, await encodeBookmarkToken(secret, bookmark, plan.freshAt));
  });
};
