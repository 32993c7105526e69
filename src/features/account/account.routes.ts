import { createRoute } from "@hono/zod-openapi";
import { notFound } from "../../http/errors";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import { clientAddress } from "../../http/rate-limit";
import {
  AcceptedSchema,
  ChangeEmailSchema,
  ChangePasswordSchema,
  ConfirmResetSchema,
  DevMailboxQuerySchema,
  DevMailboxSchema,
  PasswordResetSchema,
  SessionListSchema,
  SessionParamSchema,
  VerifiedEmailSchema,
  VerifyEmailSchema,
} from "./account.schema";
import {
  changeEmail,
  changePassword,
  confirmPasswordReset,
  endOtherSessions,
  endSession,
  listSessions,
  requestPasswordReset,
  resendVerification,
  verifyEmail,
} from "./account.service";
import { listDevMailbox } from "./mail.service";

const tags = ["account"];
const accepted = { status: "check_email" as const };

/** Mounted at /v1/auth: the links mailed to an address, used without a session. */
export const accountAuthRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/verify-email",
      tags,
      summary: "Use a verification or email-change link's token (once, within 24 hours)",
      request: { body: jsonBody(VerifyEmailSchema) },
      responses: {
        200: jsonContent(VerifiedEmailSchema, "The address is verified (and, for a change, now the account's)"),
        ...problems("bad_request", "conflict", "validation_failed"),
      },
    }),
    async (c) => c.json(await verifyEmail(c.var.platform, c.req.valid("json").token), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/password-reset",
      tags,
      summary: "Mail a password-reset link (valid 30 minutes) if an account has this address",
      description: "Always 202, after the same work whether or not an account has the address.",
      request: { body: jsonBody(PasswordResetSchema) },
      responses: {
        202: jsonContent(AcceptedSchema, "Accepted (for every address)"),
        ...problems("validation_failed", "rate_limited"),
      },
    }),
    async (c) => {
      await requestPasswordReset(c.var.platform, c.req.valid("json").email, clientAddress(c.req));
      return c.json(accepted, 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/password-reset/confirm",
      tags,
      summary: "Set a new password with a reset link's token; every session of the account ends",
      request: { body: jsonBody(ConfirmResetSchema) },
      responses: {
        204: { description: "The password is set; sign in again" },
        ...problems("bad_request", "validation_failed"),
      },
    }),
    async (c) => {
      await confirmPasswordReset(c.var.platform, c.req.valid("json"));
      return c.body(null, 204);
    },
  );

/** Mounted at /v1/me: the signed-in account's email, password and sessions. */
export const accountMeRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/email/verification",
      tags,
      summary: "Mail a new verification link (earlier ones stop working)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: {
        202: jsonContent(AcceptedSchema, "A link is on its way"),
        ...problems("unauthorized", "conflict", "rate_limited"),
      },
    }),
    async (c) => {
      await resendVerification(c.var.platform, callerOf(c));
      return c.json(accepted, 202);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/email",
      tags,
      summary: "Change the email: the new address gets a link and takes effect once it is followed",
      description:
        "The current address is told. A wrong password is a 401 counted against the login limit. A new address that belongs to another account gets a notice, and the answer is the same 202.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(ChangeEmailSchema) },
      responses: {
        202: jsonContent(AcceptedSchema, "A link is on its way to the new address"),
        ...problems("unauthorized", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => {
      await changeEmail(c.var.platform, callerOf(c), c.req.valid("json"));
      return c.json(accepted, 202);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/password",
      tags,
      summary: "Change the password; every other session ends, this one stays",
      description:
        "A wrong current password is a 401 counted against the login limit; a new password breaking sign-up's rules is a 422. Every open socket of the account is closed (4001), this client's too: it reconnects with a fresh ticket.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(ChangePasswordSchema) },
      responses: {
        204: { description: "Changed" },
        ...problems("unauthorized", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => {
      await changePassword(c.var.platform, callerOf(c), c.req.valid("json"));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions",
      tags,
      summary: "The account's live sessions (one per sign-in), most recently used first",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 200: jsonContent(SessionListSchema, "Live sessions"), ...problems("unauthorized") },
    }),
    async (c) => c.json({ items: await listSessions(c.var.platform, callerOf(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/revoke-others",
      tags,
      summary: "End every session but this one (their access tokens are refused at once)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 204: { description: "Ended" }, ...problems("unauthorized") },
    }),
    async (c) => {
      await endOtherSessions(c.var.platform, callerOf(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{id}",
      tags,
      summary: "End one of the account's sessions (this one too, like logout)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: SessionParamSchema },
      responses: {
        204: { description: "Ended" },
        ...problems("unauthorized", "not_found"),
      },
    }),
    async (c) => {
      await endSession(c.var.platform, callerOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

/** Mounted at /dev: the development mailbox, 404 unless DEV_MAILBOX=1 (README "Email"). */
export const devMailboxRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/mailbox",
    tags: ["dev"],
    summary: "Development only (DEV_MAILBOX=1): the mail sent to one address, newest first",
    description: "Answers 404 unless the Worker runs with DEV_MAILBOX=1 (`npm start`), so never in production.",
    request: { query: DevMailboxQuerySchema },
    responses: {
      200: jsonContent(DevMailboxSchema, "The mail"),
      ...problems("not_found", "validation_failed"),
    },
  }),
  async (c) => {
    if (c.var.platform.config.mail.kind !== "dev") throw notFound("route");
    return c.json({ items: await listDevMailbox(c.var.platform, c.req.valid("query").to) }, 200);
  },
);
