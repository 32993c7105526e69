import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth, requireAuthPendingDeletionAllowed } from "../../http/middleware/auth";
import {
  bearerAuth,
  createRouter,
  jsonBody,
  jsonContent,
  noBody,
  PENDING_DELETION_ALLOWED,
  problems,
} from "../../http/openapi";
import { clientAddress } from "../../http/rate-limit";
import { MeSchema } from "../users/users.schema";
import { DeleteAccountSchema, DeletionScheduledSchema } from "./deletion.schema";
import { requestDeletion, restoreAccount } from "./deletion.service";

const tags = ["account"];

/** Mounted at /v1/me (docs/accounts.md). */
export const deletionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "delete",
      path: "/",
      tags,
      summary: "Delete your account: it disappears at once, and is purged after the grace period",
      description:
        "Needs the password (a wrong one answers 401 and counts against the sign-in limits). Every session ends and every socket closes. Signing in within the grace period (ACCOUNT_DELETION_GRACE_DAYS, 30 days) gives a session that only reaches GET /v1/me and POST /v1/me/restore.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(DeleteAccountSchema) },
      responses: {
        202: jsonContent(DeletionScheduledSchema, "Deletion scheduled"),
        ...problems("unauthorized", "validation_failed", "rate_limited"),
      },
    }),
    async (c) =>
      c.json(
        await requestDeletion(c.var.platform, callerOf(c).userId, c.req.valid("json").password, clientAddress(c.req)),
        202,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/restore",
      tags,
      summary: "Cancel your account's deletion within the grace period: everything is visible again",
      security: bearerAuth,
      [PENDING_DELETION_ALLOWED]: true,
      middleware: [requireAuthPendingDeletionAllowed] as const,
      request: { body: noBody },
      responses: {
        200: jsonContent(MeSchema, "The restored account"),
        ...problems("unauthorized", "conflict"),
      },
    }),
    async (c) => c.json(await restoreAccount(c.var.platform, callerOf(c).userId), 200),
  );
