import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, problems } from "../../http/openapi";
import { SearchPageSchema, SearchQuerySchema } from "./search.schema";
import { search } from "./search.service";

export const searchRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["search"],
    summary:
      "Search accounts (username prefix; 3+ characters anywhere in username or name), tags (prefix) or posts (caption words)",
    description:
      "Accounts rank by exact username, then your follows and followers, then mutual follows, text relevance and " +
      "followers; tags by posts; posts by relevance decayed with age. Every result passes the visibility policy. " +
      "The query is searched for as a phrase: FTS operators in it are plain text.",
    security: bearerAuth,
    middleware: [requireAuth] as const,
    request: { query: SearchQuerySchema },
    responses: {
      200: jsonContent(SearchPageSchema, "One page of results"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) => c.json(await search(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
);
