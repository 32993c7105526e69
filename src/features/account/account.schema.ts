import { z } from "@hono/zod-openapi";
import { EmailSchema, PasswordSchema } from "../auth/auth.schema";

/** A mailed token as the client read it from the link's `token` query parameter. */
const TokenSchema = z
  .string()
  .min(1)
  .max(128)
  .openapi({ description: "The `token` query parameter of the mailed link" });

export const VerifyEmailSchema = z.strictObject({ token: TokenSchema }).openapi("VerifyEmailRequest");

export const VerifiedEmailSchema = z
  .object({ email: z.string(), email_verified: z.literal(true) })
  .openapi("VerifiedEmail");

export const ChangeEmailSchema = z
  .strictObject({
    email: EmailSchema,
    password: z.string().min(1).max(256).openapi({ format: "password", description: "The current password" }),
  })
  .openapi("ChangeEmailRequest");

export const ChangePasswordSchema = z
  .strictObject({
    current_password: z.string().min(1).max(256).openapi({ format: "password" }),
    new_password: PasswordSchema,
  })
  .openapi("ChangePasswordRequest");

export const PasswordResetSchema = z.strictObject({ email: EmailSchema }).openapi("PasswordResetRequest");

export const ConfirmResetSchema = z
  .strictObject({ token: TokenSchema, new_password: PasswordSchema })
  .openapi("PasswordResetConfirm");

export const AcceptedSchema = z
  .object({ status: z.literal("check_email") })
  .openapi("CheckEmail", { description: "Accepted: a mail is on its way (when there is anyone to send it to)." });

export const SessionInfoSchema = z
  .object({
    id: z.string().openapi({ description: "The session (refresh family) id" }),
    created_at: z.string().openapi({ description: "When the session signed in" }),
    last_used_at: z.string().openapi({ description: "Its last refresh (its sign-in when never refreshed)" }),
    user_agent: z.string().openapi({ description: 'A summary such as "Chrome on macOS"', example: "Chrome on macOS" }),
    current: z.boolean().openapi({ description: "The session of the access token making this request" }),
  })
  .openapi("SessionInfo");

export const SessionListSchema = z.object({ items: z.array(SessionInfoSchema) }).openapi("SessionList");

export const SessionParamSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "01JAAAAAAAAAAAAAAAAAAAAAAA" }),
});

export const DevMailboxQuerySchema = z.strictObject({
  to: z
    .string()
    .min(1)
    .max(254)
    .openapi({ param: { name: "to", in: "query" }, example: "alice@example.com" }),
});

export const DevMailboxSchema = z
  .object({
    items: z.array(
      z.object({ to: z.string(), subject: z.string(), text: z.string(), html: z.string(), sent_at: z.string() }),
    ),
  })
  .openapi("DevMailbox");
