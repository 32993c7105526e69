import type { MiddlewareHandler } from "hono";
import type { AppEnv, Caller } from "../../env";
import { verifyAccessToken } from "../../features/auth/tokens";
import { ApiError } from "../errors";

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;
const MAX_AUTHORIZATION_LENGTH = 4096;

async function callerFrom(header: string, config: AppEnv["Variables"]["config"]): Promise<Caller> {
  const unauthorized = new ApiError("unauthorized", "A valid access token is required.");
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw unauthorized;
  const match = BEARER.exec(header);
  const token = match?.[1];
  if (!token) throw unauthorized;
  const userId = await verifyAccessToken(config.jwt, token);
  if (!userId) throw unauthorized;
  return { userId };
}

/** Routes that need a signed-in user: anything but a valid access token answers 401. */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined) throw new ApiError("unauthorized", "A valid access token is required.");
  c.set("caller", await callerFrom(header, c.get("config")));
  await next();
};

/**
 * Routes anyone may read: no header means an anonymous caller, but a header that is present and
 * invalid still answers 401 rather than silently downgrading the caller.
 */
export const optionalAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization");
  if (header !== undefined) c.set("caller", await callerFrom(header, c.get("config")));
  await next();
};

/** The caller on a route behind `requireAuth`. */
export function callerOf(c: { get(key: "caller"): Caller | null }): Caller {
  const caller = c.get("caller");
  if (!caller) throw new ApiError("unauthorized", "A valid access token is required.");
  return caller;
}
