import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, noBody, problems, responseHeaders } from "../../http/openapi";
import {
  CreateMediaSchema,
  DeliveryQuerySchema,
  MediaIdParamSchema,
  MediaSchema,
  SignedQuerySchema,
  UploadTicketSchema,
  VariantParamSchema,
} from "./media.schema";
import { completeUpload, createUpload, deliver, getMedia, receiveUpload } from "./media.service";

const tags = ["media"];

export const mediaApiRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Start an image upload: returns a signed URL to PUT the bytes to (valid 10 minutes)",
      description: "At most MEDIA_UPLOADS_PER_30_MIN uploads per account per 30 minutes.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(CreateMediaSchema) },
      responses: {
        201: jsonContent(UploadTicketSchema, "Where and how to upload"),
        ...problems("unauthorized", "validation_failed", "unsupported_media_type", "payload_too_large", "rate_limited"),
      },
    }),
    async (c) => c.json(await createUpload(c.var.platform, callerOf(c).userId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/complete",
      tags,
      summary: "Validate the uploaded bytes and queue processing (idempotent)",
      description:
        "422 `validation_failed` when the stored file is shorter than `byte_size`, or when the image matches the media blocklist (the same SHA-256, or a dHash within MEDIA_BLOCKLIST_MAX_DISTANCE bits): the media is then failed for good, its bytes deleted, and a system report about the uploader enters the review queue.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: MediaIdParamSchema, body: noBody },
      responses: {
        200: jsonContent(MediaSchema, "The media, processing or ready"),
        ...problems(
          "unauthorized",
          "not_found",
          "conflict",
          "unsupported_media_type",
          "payload_too_large",
          "validation_failed",
        ),
      },
    }),
    async (c) => c.json(await completeUpload(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      tags,
      summary: "One of your uploads, with its status and, once ready, signed delivery URLs",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: MediaIdParamSchema },
      responses: { 200: jsonContent(MediaSchema, "The media"), ...problems("unauthorized", "not_found") },
    }),
    async (c) => c.json(await getMedia(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  );

/** Upload and delivery live outside /v1: their URLs are capabilities, handed out by the API. */
export const mediaHostRoutes = createRouter()
  .openapi(
    createRoute({
      method: "put",
      path: "/uploads/{id}",
      tags,
      summary: "Upload the bytes (the URL from POST /v1/media is the credential)",
      request: {
        params: MediaIdParamSchema,
        query: SignedQuerySchema,
        body: {
          required: true,
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
      },
      responses: {
        204: { description: "Stored" },
        ...problems("forbidden", "payload_too_large", "validation_failed", "conflict"),
      },
    }),
    async (c) => {
      await receiveUpload(c.var.platform, c.req.valid("param").id, c.req.valid("query"), c.req.raw.body);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/media/{owner}/{id}/{size}",
      tags,
      summary: "An image variant: AVIF, WebP or JPEG by Accept (signed, expiring URL)",
      request: { params: VariantParamSchema, query: DeliveryQuerySchema },
      responses: {
        200: {
          description: "The image",
          headers: responseHeaders.image,
          content: { "image/avif": {}, "image/webp": {}, "image/jpeg": {} },
        },
        304: { description: "Not modified (If-None-Match)", headers: responseHeaders.image },
        ...problems("not_found"),
      },
    }),
    async (c) => {
      const delivery = await deliver(c.var.platform, {
        ...c.req.valid("param"),
        ...c.req.valid("query"),
        accept: c.req.header("accept"),
        ifNoneMatch: c.req.header("if-none-match"),
      });
      const headers = new Headers({
        etag: delivery.etag,
        vary: "Accept",
        // The bytes under one URL never change; `private` keeps shared caches out of private media.
        "cache-control": "private, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
      });
      if (delivery.notModified) return new Response(null, { status: 304, headers });
      headers.set("content-type", delivery.content_type);
      return new Response(delivery.body, { status: 200, headers });
    },
  );
