import { createRoute, z } from "@hono/zod-openapi";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, problems } from "../../http/openapi";
import { PostSchema } from "../posts/posts.schema";
import { readFeed, readRankedFeed } from "./feed.service";

const FeedQuerySchema = PageQuerySchema.extend({
  mode: z
    .enum(["chronological", "ranked"])
    .default("chronological")
    .openapi({ description: "chronological, or ranked: a scored snapshot of the newest 200 visible posts" }),
});

export const feedRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["feed"],
    summary: "The home feed: your and followed accounts' posts you may see, newest first",
    description:
      "Page 1 of the chronological feed may be served from an edge cache up to FEED_CACHE_TTL_SECONDS old (posts that became invisible are always dropped); send `Cache-Control: no-cache` (pull to refresh) to read it fresh.",
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { query: FeedQuerySchema },
    responses: {
      200: jsonContent(pageOf(PostSchema).openapi("FeedPage"), "One page"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) => {
    const { cursor, limit, mode } = c.req.valid("query");
    const fresh = /no-cache/i.test(c.req.header("cache-control") ?? "");
    const read = mode === "ranked" ? readRankedFeed : readFeed;
    return c.json(await read(c.var.platform, callerOf(c).userId, { cursor, limit, fresh }), 200);
  },
);
