import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { PageQuerySchema } from "../../http/cursor";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, noBody, problems } from "../../http/openapi";
import { UsernameParamSchema } from "../users/users.schema";
import {
  BlockStateSchema,
  CloseFriendStateSchema,
  FollowStateSchema,
  MuteStateSchema,
  UserPageSchema,
} from "./graph.schema";
import * as graph from "./graph.service";

const tags = ["graph"];

/**
 * A signed-in action on `{username}` that answers a small JSON state. Only a rate-limited action
 * (follow) lists 429: the others have no limiter and can never answer it.
 */
function action<S extends z.ZodType>(
  method: "post" | "put" | "delete",
  path: string,
  summary: string,
  schema: S,
  limited = false,
) {
  return createRoute({
    method,
    path,
    tags,
    summary,
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { params: UsernameParamSchema, body: noBody },
    responses: {
      200: jsonContent(schema, "The new state"),
      ...problems("unauthorized", "not_found", "validation_failed", "unsupported_media_type"),
      ...(limited ? problems("rate_limited") : {}),
    },
  });
}

/** A signed-in action on `{username}` that answers 204. */
function command(method: "post" | "delete", path: string, summary: string) {
  return createRoute({
    method,
    path,
    tags,
    summary,
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { params: UsernameParamSchema, body: noBody },
    responses: {
      204: { description: "Done" },
      ...problems("unauthorized", "not_found", "validation_failed", "unsupported_media_type"),
    },
  });
}

function ownList(path: string, summary: string) {
  return createRoute({
    method: "get",
    path,
    tags,
    summary,
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { query: PageQuerySchema },
    responses: {
      200: jsonContent(UserPageSchema, "One page, newest first"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  });
}

function connections(path: string, summary: string) {
  return createRoute({
    method: "get",
    path,
    tags,
    summary,
    security: [{}, ...bearerAuth],
    middleware: [optionalAuth] as const,
    request: { params: UsernameParamSchema, query: PageQuerySchema },
    responses: {
      200: jsonContent(UserPageSchema, "One page, newest first"),
      ...problems("not_found", "unauthorized", "validation_failed", "invalid_cursor"),
    },
  });
}

const viewer = (c: Context<AppEnv>) => c.get("caller")?.userId ?? null;

export const graphUserRoutes = createRouter()
  .openapi(
    {
      ...action(
        "post",
        "/{username}/follow",
        "Follow an account (a request, for a private one)",
        FollowStateSchema,
        true,
      ),
      description: "Limited to 100 follow attempts a minute per account (429 with retry-after).",
    },
    async (c) => c.json(await graph.followUser(c.var.platform, callerOf(c).userId, c.req.valid("param").username), 200),
  )
  .openapi(
    action("delete", "/{username}/follow", "Unfollow, or withdraw a follow request", FollowStateSchema),
    async (c) =>
      c.json(await graph.unfollowUser(c.var.platform, callerOf(c).userId, c.req.valid("param").username), 200),
  )
  .openapi(
    action(
      "post",
      "/{username}/block",
      "Block: hides both accounts from each other and removes follows both ways",
      BlockStateSchema,
    ),
    async (c) =>
      c.json(await graph.setBlocked(c.var.platform, callerOf(c).userId, c.req.valid("param").username, true), 200),
  )
  .openapi(action("delete", "/{username}/block", "Unblock", BlockStateSchema), async (c) =>
    c.json(await graph.setBlocked(c.var.platform, callerOf(c).userId, c.req.valid("param").username, false), 200),
  )
  .openapi(
    action("post", "/{username}/mute", "Mute: hide from your feed and stories without unfollowing", MuteStateSchema),
    async (c) =>
      c.json(await graph.setMuted(c.var.platform, callerOf(c).userId, c.req.valid("param").username, true), 200),
  )
  .openapi(action("delete", "/{username}/mute", "Unmute", MuteStateSchema), async (c) =>
    c.json(await graph.setMuted(c.var.platform, callerOf(c).userId, c.req.valid("param").username, false), 200),
  )
  .openapi(connections("/{username}/followers", "Who follows the account"), async (c) =>
    c.json(
      await graph.listConnections(
        c.var.platform,
        viewer(c),
        c.req.valid("param").username,
        "followers",
        c.req.valid("query"),
      ),
      200,
    ),
  )
  .openapi(connections("/{username}/following", "Whom the account follows"), async (c) =>
    c.json(
      await graph.listConnections(
        c.var.platform,
        viewer(c),
        c.req.valid("param").username,
        "following",
        c.req.valid("query"),
      ),
      200,
    ),
  );

export const graphMeRoutes = createRouter()
  .openapi(ownList("/follow-requests", "Pending requests to follow you"), async (c) =>
    c.json(await graph.listOwn(c.var.platform, callerOf(c).userId, "follow_requests", c.req.valid("query")), 200),
  )
  .openapi(command("post", "/follow-requests/{username}/approve", "Approve a follow request"), async (c) => {
    await graph.approveFollowRequest(c.var.platform, callerOf(c).userId, c.req.valid("param").username);
    return c.body(null, 204);
  })
  .openapi(command("post", "/follow-requests/{username}/deny", "Deny a follow request"), async (c) => {
    await graph.denyFollowRequest(c.var.platform, callerOf(c).userId, c.req.valid("param").username);
    return c.body(null, 204);
  })
  .openapi(command("delete", "/followers/{username}", "Remove someone from your followers"), async (c) => {
    await graph.removeFollower(c.var.platform, callerOf(c).userId, c.req.valid("param").username);
    return c.body(null, 204);
  })
  .openapi(ownList("/close-friends", "Your close friends"), async (c) =>
    c.json(await graph.listOwn(c.var.platform, callerOf(c).userId, "close_friends", c.req.valid("query")), 200),
  )
  .openapi(action("put", "/close-friends/{username}", "Add to close friends", CloseFriendStateSchema), async (c) =>
    c.json(await graph.setCloseFriend(c.var.platform, callerOf(c).userId, c.req.valid("param").username, true), 200),
  )
  .openapi(
    action("delete", "/close-friends/{username}", "Remove from close friends", CloseFriendStateSchema),
    async (c) =>
      c.json(await graph.setCloseFriend(c.var.platform, callerOf(c).userId, c.req.valid("param").username, false), 200),
  )
  .openapi(ownList("/blocks", "Accounts you have blocked"), async (c) =>
    c.json(await graph.listOwn(c.var.platform, callerOf(c).userId, "blocks", c.req.valid("query")), 200),
  )
  .openapi(ownList("/mutes", "Accounts you have muted"), async (c) =>
    c.json(await graph.listOwn(c.var.platform, callerOf(c).userId, "mutes", c.req.valid("query")), 200),
  );
