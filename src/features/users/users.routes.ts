import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import { systemClock } from "../../platform/clock";
import { dbFor } from "../../platform/db";
import { MeSchema, ProfileSchema, UpdateMeSchema, UsernameParamSchema } from "./users.schema";
import { getMe, getProfile, type UsersDeps, updateMe } from "./users.service";

const deps = (c: Context<AppEnv>): UsersDeps => ({ db: dbFor(c.env.DB), clock: systemClock });

export const meRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["profiles"],
      summary: "The caller's own account",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 200: jsonContent(MeSchema, "Own account"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await getMe(deps(c), callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/",
      tags: ["profiles"],
      summary: "Edit the caller's profile",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(UpdateMeSchema) },
      responses: {
        200: jsonContent(MeSchema, "The updated account"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await updateMe(deps(c), callerOf(c).userId, c.req.valid("json")), 200),
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
  async (c) => c.json(await getProfile(deps(c), c.req.valid("param").username, c.get("caller")?.userId ?? null), 200),
);
