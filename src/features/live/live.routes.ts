import { createRoute, z } from "@hono/zod-openapi";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, noBody, problems } from "../../http/openapi";
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
  startSession,
} from "./live.service";

const tags = ["live"];

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
  );

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
