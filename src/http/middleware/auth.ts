import type { MiddlewareHandler } from "hono";
import type { AppEnv, Caller } from "../../env";
import { verifyAccessToken } from "../../features/auth/tokens";
import { verifyRequestSession, withSession } from "../../platform/session-guard";
import { ApiError, invalidToken } from "../errors";

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;
const MAX_AUTHORIZATION_LENGTH = 4096;

async function callerFrom(header: string, config: AppEnv["Variables"]["config"]): Promise<Caller> {
  // Built only when thrown: an Error captures a stack trace, about 50 µs of CPU on every signed-in
  // request when it was made up front (bench/cpu.mjs, the feed's profile; README "Benchmarks").
  const unauthorized = () => invalidToken("A valid access token is required.");
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw unauthorized();
  const match = BEARER.exec(header);
  const token = match?.[1];
  if (!token) throw unauthorized();
  const claims = await verifyAccessToken(config.jwt, token);
  if (!claims) throw unauthorized();
  return claims;
}

/**
 * Runs the rest of the request as `caller`'s session: its first D1 call also checks that the
 * session still stands (platform/session-guard.ts); a request that made none is checked before
 * its response leaves.
 */
async function asSession(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  caller: Caller,
  next: () => Promise<void>,
  options: { allowPendingDeletion?: boolean } = {},
) {
  c.set("caller", caller);
  await withSession(
    caller,
    async () => {
      await next();
      await verifyRequestSession(c.env.DB);
    },
    options,
  );
}

/** Routes that need a signed-in user: anything but a valid access token answers 401. */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) throw new ApiError("unauthorized", "A valid access token is required.");
  await asSession(c, await callerFrom(header, c.get("config")), next);
};

/**
 * `requireAuth` for the two routes an account whose deletion is pending may still use (`GET /v1/me`
 * and `POST /v1/me/restore`, docs/accounts.md): the session check lets such an account through. On
 * every other route its session answers 403 `account_pending_deletion`. Mark such a route's
 * operation with `PENDING_DELETION_ALLOWED` so the OpenAPI document does not list that answer.
 */
export const requireAuthPendingDeletionAllowed: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) throw new ApiError("unauthorized", "A valid access token is required.");
  await asSession(c, await callerFrom(header, c.get("config")), next, { allowPendingDeletion: true });
};

/**
 * Routes anyone may read: no header means an anonymous caller, but a header that is present and
 * invalid still answers 401 rather than silently downgrading the caller.
 */
export const optionalAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) return next();
  await asSession(c, await callerFrom(header, c.get("config")), next);
};

/**
 * Staff routes: a moderator or an admin (the token's role, confirmed against D1 by the session
 * check). Anyone else, signed in or not, with a valid token or not, gets the 404 an unknown path
 * gets, so the routes do not announce themselves (docs/moderation.md, "Roles").
 */
export const requireStaff: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Built only when thrown, as in callerFrom.
  const unknown = () => new ApiError("not_found", "No route matches this path.");
  const header = c.req.header("authorization");
  if (header === undefined) throw unknown();
  let caller: Caller;
  try {
    caller = await callerFrom(header, c.get("config"));
  } catch {
    throw unknown();
  }
  if (caller.role === "user") throw unknown();
  await asSession(c, caller, next);
};

/** The caller on a route behind `requireAuth`. */
export function callerOf(c: { get(key: "caller"): Caller | null }): Caller {
  const caller = c.get("caller");
  if (!caller) throw new ApiError("unauthorized", "A valid access token is required.");
  return caller;
}
