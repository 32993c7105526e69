import { z } from "@hono/zod-openapi";

export const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "ready", "failed"]),
    /** Signed download URL, valid until `expires_at`; null until the export is ready. */
    url: z.string().nullable().openapi({ description: "Signed download URL (ready only), valid until expires_at" }),
    expires_at: z
      .string()
      .nullable()
      .openapi({ description: "When the ZIP is deleted and the URL stops working (7 days after it is ready)" }),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
  })
  .openapi("DataExport");
export type ExportView = z.infer<typeof ExportSchema>;

/**
 * The download URL is a capability: a missing, malformed or wrong piece answers 404 like a bad
 * signature, never 422, so a broken link says nothing about what exists (as media delivery).
 */
export const ExportParamSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" } }),
});

export const ExportQuerySchema = z.object({
  exp: z.string().optional().openapi({ description: "Expiry, Unix seconds" }),
  sig: z.string().optional().openapi({ description: "The URL's signature" }),
});
