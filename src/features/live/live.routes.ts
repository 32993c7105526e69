import { createRoute, z } from "@hono/zod-openapi";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import {
  bearerAuth,
  createRouter,
  frameRef,
  jsonBody,
  jsonContent,
  noBody,
  problems,
  websocketUpgrade,
} from "../../http/openapi";
import { TicketQuerySchema } from "../chat/chat.schema";
import { LiveClientFrameSchema, LiveCommentSchema, LiveServerFrameSchema } from "./live.protocol";
import {
  CreateLiveSchema,
  LiveIdParamSchema,
  LiveListSchema,
  LiveSessionSchema,
  StreamWebhookSchema,
} from "./live.schema";
import {
  applyStreamEvent,
  checkWebhookSecret,
  createSession,
  endSession,
  getSession,
  listLive,
  listLiveComments,
  openLiveSocket,
  openPostSocket,
  startSession,
} from "./live.service";

const LiveCommentPageSchema = pageOf(LiveCommentSchema).openapi("LiveCommentPage");

const tags = ["live"];
const upgrade = websocketUpgrade;
/** A WebSocket frame schema, registered at the end of this file. */
const frame = frameRef;

/** A host's command on one of their sessions. */
function hostCommand(path: string, summary: string) {
  return createRoute({
    method: "post",
    path,
    tags,
    summary,
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { params: LiveIdParamSchema, body: noBody },
    responses: {
      200: jsonContent(LiveSessionSchema, "The session"),
      ...problems("unauthorized", "not_found", "conflict", "unsupported_media_type"),
    },
  });
}

export const liveRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Open a live session (one at a time): Stream ingest details for the host when Stream is configured",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(CreateLiveSchema) },
      responses: {
        201: jsonContent(LiveSessionSchema, "The session, `created`"),
        ...problems("unauthorized", "validation_failed", "conflict", "unavailable"),
      },
    }),
    async (c) => c.json(await createSession(c.var.platform, callerOf(c).userId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "Sessions live now from accounts you follow and may see",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 200: jsonContent(LiveListSchema, "Live sessions, newest first"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await listLive(c.var.platform, callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      tags,
      summary: "One session (404 where the policy hides it: the posts' rule for its audience)",
      security: [{}, ...bearerAuth],
      middleware: [optionalAuth] as const,
      request: { params: LiveIdParamSchema },
      responses: { 200: jsonContent(LiveSessionSchema, "The session"), ...problems("unauthorized", "not_found") },
    }),
    async (c) =>
      c.json(await getSession(c.var.platform, c.get("caller")?.userId ?? null, c.req.valid("param").id), 200),
  )
  .openapi(
    hostCommand("/{id}/start", "Go live (comments-only sessions; a Stream session goes live when video connects)"),
    async (c) => c.json(await startSession(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  )
  .openapi(hostCommand("/{id}/end", "End the session (and cut the Stream broadcaster off)"), async (c) =>
    c.json(await endSession(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/comments",
      tags,
      summary: "The session's comments in order, with their offset from the start (a recording's timeline)",
      security: [{}, ...bearerAuth],
      middleware: [optionalAuth] as const,
      request: { params: LiveIdParamSchema, query: PageQuerySchema },
      responses: {
        200: jsonContent(LiveCommentPageSchema, "One page, oldest first"),
        ...problems("unauthorized", "not_found", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(
        await listLiveComments(
          c.var.platform,
          c.get("caller")?.userId ?? null,
          c.req.valid("param").id,
          c.req.valid("query"),
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/ws",
      tags,
      summary:
        "Join the session's room with a ticket for `live:{id}`: send `comment` and `reaction` (the host also `pin`, " +
        "`remove`, `comments_off`, `mute`); receive `ready`, batched `comment` and `reactions`, `viewer_count`, " +
        "`pinned`, `comment_removed`, `comments_off`, `ended`, `error`",
      request: { params: LiveIdParamSchema, query: TicketQuerySchema },
      responses: { ...upgrade, ...problems("conflict") },
      "x-websocket": {
        client_frames: { oneOf: [frame("LiveClientFrame"), frame("SocketPing")] },
        server_frames: { oneOf: [frame("LiveServerFrame"), frame("SocketPong")] },
      },
    }),
    async (c) => openLiveSocket(c.var.platform, c.req.raw, c.req.valid("param").id, c.req.valid("query").ticket),
  );

/** Live comments of a post (mounted under /v1/posts). */
export const postLiveRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{id}/comments/live",
    tags,
    summary:
      "A post's new and removed comments as they happen, with a ticket for `post:{id}` (read only: comment over HTTP)",
    request: { params: LiveIdParamSchema, query: TicketQuerySchema },
    responses: upgrade,
    "x-websocket": {
      client_frames: frame("SocketPing"),
      server_frames: { oneOf: [frame("LiveServerFrame"), frame("SocketPong")] },
    },
  }),
  async (c) => openPostSocket(c.var.platform, c.req.raw, c.req.valid("param").id, c.req.valid("query").ticket),
);

postLiveRoutes.openAPIRegistry.register("LiveClientFrame", LiveClientFrameSchema);
postLiveRoutes.openAPIRegistry.register("LiveServerFrame", LiveServerFrameSchema);

export const streamWebhookRoutes = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/live",
    tags,
    summary: "Cloudflare Stream live input events (connected, disconnected, errored)",
    description:
      "Authenticated by the webhook destination's secret in `cf-webhook-auth` (STREAM_WEBHOOK_SECRET), compared in constant time.",
    request: {
      headers: z.object({ "cf-webhook-auth": z.string().max(512).optional() }),
      body: jsonBody(StreamWebhookSchema),
    },
    responses: {
      204: { description: "Applied (or about no session of ours)" },
      ...problems("unauthorized", "validation_failed"),
    },
  }),
  async (c) => {
    checkWebhookSecret(c.var.platform, c.req.valid("header")["cf-webhook-auth"]);
    await applyStreamEvent(c.var.platform, c.req.valid("json"));
    return c.body(null, 204);
  },
);
