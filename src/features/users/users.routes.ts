import { createRoute } from "@hono/zod-openapi";
import { callerOf, optionalAuth, requireAuth, requireAuthPendingDeletionAllowed } from "../../http/middleware/auth";
import {
  bearerAuth,
  createRouter,
  jsonBody,
  jsonContent,
  PENDING_DELETION_ALLOWED,
  problems,
} from "../../http/openapi";
import { MeSchema, ProfileSchema, UpdateMeSchema, UsernameParamSchema } from "./users.schema";
import { getMe, getProfile, updateMe } from "./users.service";

export const meRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["profiles"],
      summary: "The caller's own account (also while its deletion is pending: see `deletion_scheduled_for`)",
      security: bearerAuth,
      [PENDING_DELETION_ALLOWED]: true,
      middleware: [requireAuthPendingDeletionAllowed] as const,
      responses: { 200: jsonContent(MeSchema, "Own account"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await getMe(c.var.platform, callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/",
      tags: ["profiles"],
      summary: "Edit the caller's profile (and username: 409 when taken or held, 429 past the rename limit)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(UpdateMeSchema) },
      responses: {
        200: jsonContent(MeSchema, "The updated account"),
        ...problems("unauthorized", "conflict", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => c.json(await updateMe(c.var.platform, callerOf(c).userId, c.req.valid("json")), 200),
  );

export const userRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{username}",
    tags: ["profiles"],
    summary: "A profile with counters and the caller's relationship to it",
    security: [{}, ...bearerAuth],
    middleware: [optionalAuth] as const,
    request: { params: UsernameParamSchema },
    responses: { 200: jsonContent(ProfileSchema, "The profile"), ...problems("not_found", "unauthorized") },
  }),
  async (c) =>
    c.json(await getProfile(c.var.platform, c.req.valid("param").username, c.get("caller")?.userId ?? null), 200),
);
