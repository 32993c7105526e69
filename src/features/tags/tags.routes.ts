import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { pageOf } from "../../http/cursor";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, noBody, problems } from "../../http/openapi";
import { PostSchema } from "../posts/posts.schema";
import { TagFollowStateSchema, TagParamSchema, TagPostsQuerySchema, TagSchema, TrendsSchema } from "./tags.schema";
import * as tags from "./tags.service";

const viewer = (c: Context<AppEnv>) => c.get("caller")?.userId ?? null;
const groups = ["tags"];
const TagPostPageSchema = pageOf(PostSchema).openapi("TagPostPage");
const signedIn = { security: bearerAuth, middleware: [requireAuth] };
const anyone = { security: [{}, ...bearerAuth], middleware: [optionalAuth] };

function toggle(method: "post" | "delete", summary: string) {
  return createRoute({
    method,
    path: "/{tag}/follow",
    tags: groups,
    summary,
    ...signedIn,
    request: { params: TagParamSchema, body: noBody },
    responses: {
      200: jsonContent(TagFollowStateSchema, "The new state"),
      ...problems("unauthorized", "validation_failed"),
    },
  });
}

// `/trending` is registered before `/{tag}`, so it is never read as a tag named "trending".
export const tagRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/trending",
      tags: groups,
      summary: "Tags whose use today stands out against their usual rate (refreshed hourly)",
      description:
        "Score (observed − expected)² / expected over public posts of public accounts, expected being the last 7 days' " +
        "uses decayed (weights 2^-i, at least 5 a day); yesterday's score carries over, halving every 6 hours. " +
        "See docs/search.md.",
      ...anyone,
      responses: {
        200: jsonContent(TrendsSchema, "The trends the last refresh stored, best first"),
        ...problems("unauthorized"),
      },
    }),
    async (c) => c.json(await tags.trendingTags(c.var.platform), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{tag}",
      tags: groups,
      summary: "A hashtag: its live post count and whether you follow it (post_count 0 for an unused tag)",
      ...anyone,
      request: { params: TagParamSchema },
      responses: {
        200: jsonContent(TagSchema, "The tag"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await tags.getTag(c.var.platform, viewer(c), c.req.valid("param").tag), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{tag}/posts",
      tags: groups,
      summary: "Posts with the tag you may see: newest first, or top (engagement decayed with age, last 7 days)",
      description:
        "recent pages by post id and may return a short page with a next_cursor when many posts are hidden from you; " +
        "top ranks at most 500 posts of the 7 days before page 1 by (1 + ln(1 + likes + 2·comments + 3·saves)) · " +
        "e^(−age_hours/24), ages measured when page 1 was read, so later pages keep the order.",
      ...anyone,
      request: { params: TagParamSchema, query: TagPostsQuerySchema },
      responses: {
        200: jsonContent(TagPostPageSchema, "One page of posts"),
        ...problems("unauthorized", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(await tags.tagPosts(c.var.platform, viewer(c), c.req.valid("param").tag, c.req.valid("query")), 200),
  )
  .openapi(toggle("post", "Follow a hashtag (idempotent)"), async (c) =>
    c.json(await tags.followTag(c.var.platform, callerOf(c).userId, c.req.valid("param").tag), 200),
  )
  .openapi(toggle("delete", "Unfollow a hashtag (idempotent)"), async (c) =>
    c.json(await tags.unfollowTag(c.var.platform, callerOf(c).userId, c.req.valid("param").tag), 200),
  );
