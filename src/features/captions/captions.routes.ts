import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import { MediaIdParamSchema } from "../media/media.schema";
import { CaptionRequestSchema, CaptionSuggestionsSchema } from "./captions.schema";
import { getSuggestions, requestSuggestions } from "./captions.service";

const tags = ["captions"];

export const captionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/caption-suggestions",
      tags,
      summary: "Ask for AI caption and alt-text suggestions for one of your ready images",
      description:
        "Queues a job and answers at once. The same image and options answer the existing job (no second provider " +
        "call); other options start another. At most 3 pending and CAPTIONS_PER_DAY a day per account. Nothing is " +
        "applied to a post: pick a caption and send it, and the alt text in `alt_texts`, when you post. 503 " +
        "`unavailable` when no provider is configured.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: MediaIdParamSchema, body: jsonBody(CaptionRequestSchema) },
      responses: {
        200: jsonContent(CaptionSuggestionsSchema, "The suggestions with these options were already made"),
        202: jsonContent(CaptionSuggestionsSchema, "The job is pending"),
        ...problems("unauthorized", "not_found", "conflict", "validation_failed", "rate_limited", "unavailable"),
      },
    }),
    async (c) => {
      const { view, pending } = await requestSuggestions(
        c.var.platform,
        callerOf(c).userId,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return pending ? c.json(view, 202) : c.json(view, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/caption-suggestions",
      tags,
      summary:
        "The suggestions for one of your images: pending, ready, failed, or unavailable (no provider configured)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: MediaIdParamSchema },
      responses: {
        200: jsonContent(CaptionSuggestionsSchema, "The image's current job (the options asked for last)"),
        ...problems("unauthorized", "not_found"),
      },
    }),
    async (c) => c.json(await getSuggestions(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  );
