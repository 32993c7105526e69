import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { DISPLAY_NAME_MAX, MeSchema, UsernameSchema } from "../users/users.schema";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
const EMAIL_MAX = 254;

/** Sign-up's password rules, for every new password (change, reset): a weak one is a 422. */
export const PasswordSchema = userText()
  .min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `at most ${PASSWORD_MAX} characters`)
  .openapi({ format: "password", example: "correct horse battery" });

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(EMAIL_MAX)
  .pipe(z.email())
  .openapi({ example: "alice@example.com" });

export const SignupSchema = z
  .strictObject({
    username: UsernameSchema,
    email: EmailSchema,
    password: PasswordSchema,
    display_name: userText().trim().max(DISPLAY_NAME_MAX).optional(),
  })
  .openapi("Signup");

export const LoginSchema = z
  .strictObject({
    login: z.string().trim().min(1).max(EMAIL_MAX).openapi({ description: "A username or an email", example: "alice" }),
    password: z.string().min(1).max(PASSWORD_MAX).openapi({ format: "password" }),
  })
  .openapi("Login");

export const RefreshSchema = z.strictObject({ refresh_token: z.string().min(1).max(256) }).openapi("RefreshRequest");

export const SessionSchema = z
  .object({
    user: MeSchema,
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
  })
  .openapi("Session");

export const SignupAcceptedSchema = z
  .object({
    status: z.literal("check_email"),
    email: z.string().openapi({ description: "The address the sign-up named (normalised)" }),
  })
  .openapi("SignupAccepted", {
    description:
      "The same answer for a new and an already registered email: a new one gets a verification link and the account (sign in with /v1/auth/login), a registered one gets a mail telling its owner someone tried.",
  });
