import { z } from "@hono/zod-openapi";

export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/avif"] as const;
export const VARIANT_SIZES = ["thumb", "small", "medium", "large"] as const;
export type VariantSize = (typeof VARIANT_SIZES)[number];

/** Pixel caps, stricter than Cloudflare Images' own (100 MP, 70 MB): docs/security.md G5. */
export const MAX_PIXELS = 50_000_000;
export const MAX_SIDE = 12_000;

export const CreateMediaSchema = z
  .strictObject({
    content_type: z.string().openapi({ example: "image/jpeg", description: `One of ${ACCEPTED_TYPES.join(", ")}` }),
    byte_size: z.number().int().min(1).openapi({ example: 245_000 }),
  })
  .openapi("CreateMedia");

export const UploadTicketSchema = z
  .object({
    media_id: z.string(),
    upload_url: z.string(),
    upload_method: z.literal("PUT"),
    upload_headers: z.record(z.string(), z.string()),
    expires_at: z.string(),
  })
  .openapi("UploadTicket");

export const MediaSchema = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "uploaded", "processing", "ready", "failed"]),
    content_type: z.string().nullable(),
    byte_size: z.number().int().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    thumbhash: z.string().nullable().openapi({ description: "Base64 ThumbHash placeholder, once ready" }),
    urls: z
      .object({ thumb: z.string(), small: z.string(), medium: z.string(), large: z.string() })
      .nullable()
      .openapi({ description: "Signed, expiring delivery URLs, once ready" }),
    created_at: z.string(),
  })
  .openapi("Media");

export const MediaIdParamSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const SignedQuerySchema = z.strictObject({
  exp: z.coerce.number().int().openapi({ description: "Expiry, Unix seconds" }),
  sig: z.string().max(64),
});

/**
 * Delivery URLs are capabilities: a missing, malformed or over-long piece answers 404 like a bad
 * signature (README, "Delivery"), never 422, so a broken link says nothing about what exists.
 * Nothing here is refused by validation; `deliver` checks every piece.
 */
export const VariantParamSchema = z.object({
  owner: z.string().openapi({ param: { name: "owner", in: "path" } }),
  id: z.string().openapi({ param: { name: "id", in: "path" } }),
  // Any other name (`original`, a raw R2 key…) answers 404 from the service, like a missing image.
  size: z.string().openapi({ param: { name: "size", in: "path" }, description: VARIANT_SIZES.join(" | ") }),
});

export const DeliveryQuerySchema = z.object({
  exp: z.string().optional().openapi({ description: "Expiry, Unix seconds" }),
  sig: z.string().optional().openapi({ description: "The URL's signature" }),
});
