import { createRoute } from "@hono/zod-openapi";
import { createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import { clientAddress } from "../../http/rate-limit";
import { LoginSchema, RefreshSchema, SessionSchema, SignupAcceptedSchema, SignupSchema } from "./auth.schema";
import { login, logout, refresh, signup } from "./auth.service";

const tags = ["auth"];

export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/signup",
      tags,
      summary: "Create an account; a verification link is mailed to the address (then sign in with /login)",
      description:
        "Answers 202 with the same body whether the email is new or already has an account (that address's owner is mailed that someone tried; no account is made), so sign-up does not tell who has an account. A taken username is a 409: names are public. Login works before the address is verified; `email_verified` on /v1/me says whether it is.",
      request: { body: jsonBody(SignupSchema) },
      responses: {
        202: jsonContent(SignupAcceptedSchema, "Accepted: check your email"),
        ...problems("conflict", "validation_failed", "payload_too_large", "unsupported_media_type", "rate_limited"),
      },
    }),
    async (c) => c.json(await signup(c.var.platform, c.req.valid("json"), clientAddress(c.req)), 202),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/login",
      tags,
      summary:
        "Sign in with a username or email and a password; a suspended account gets 403 `account_suspended` (with `suspended_until`) once the password is right",
      request: { body: jsonBody(LoginSchema) },
      responses: {
        200: jsonContent(SessionSchema, "A new session"),
        ...problems("unauthorized", "account_suspended", "validation_failed", "rate_limited"),
      },
    }),
    async (c) =>
      c.json(await login(c.var.platform, c.req.valid("json"), clientAddress(c.req), c.req.header("user-agent")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/refresh",
      tags,
      summary: "Trade a refresh token for a new pair; the old one stops working",
      description: "Presenting an already-used refresh token revokes every token of its session.",
      request: { body: jsonBody(RefreshSchema) },
      responses: {
        200: jsonContent(SessionSchema, "The rotated session"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await refresh(c.var.platform, c.req.valid("json").refresh_token), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/logout",
      tags,
      summary: "End the session the refresh token belongs to",
      request: { body: jsonBody(RefreshSchema) },
      responses: {
        204: { description: "Signed out (also for an unknown or already revoked token)" },
        ...problems("validation_failed"),
      },
    }),
    async (c) => {
      await logout(c.var.platform, c.req.valid("json").refresh_token);
      return c.body(null, 204);
    },
  );
