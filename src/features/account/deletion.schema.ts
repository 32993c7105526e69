import { z } from "@hono/zod-openapi";

export const DeleteAccountSchema = z
  .strictObject({
    password: z.string().min(1).max(1024).openapi({ description: "The account's current password" }),
  })
  .openapi("DeleteAccount");

export const DeletionScheduledSchema = z
  .object({
    deletion_scheduled_for: z.string().openapi({
      description: "When the account is purged unless restored before (POST /v1/me/restore after signing in)",
    }),
  })
  .openapi("DeletionScheduled");
