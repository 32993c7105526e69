import { createRoute } from "@hono/zod-openapi";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, problems } from "../../http/openapi";
import { PostSchema } from "../posts/posts.schema";
import { explore } from "./explore.service";

const ExplorePageSchema = pageOf(PostSchema).openapi("ExplorePage");

export const exploreRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["search"],
    summary:
      "Posts from accounts you do not follow yet: liked by people who like what you like, with tags you follow or like, or trending",
    description:
      "Page 1 is computed and stored; later pages read it by position. At most one post per author in any 6 " +
      "consecutive items; posts you liked, wrote or were shown in explore before are left out.",
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { query: PageQuerySchema },
    responses: {
      200: jsonContent(ExplorePageSchema, "One page"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) => c.json(await explore(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
);
