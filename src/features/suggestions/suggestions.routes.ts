import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, noBody, problems } from "../../http/openapi";
import { UsernameParamSchema } from "../users/users.schema";
import { SuggestionListSchema, SuggestionsQuerySchema } from "./suggestions.schema";
import { dismissSuggestion, listSuggestions } from "./suggestions.service";

const tags = ["suggestions"];

/** Mounted under /v1/me. */
export const suggestionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/suggestions",
      tags,
      summary: "Accounts you may want to follow: friends of friends, then popular accounts",
      description:
        "Accounts followed by the accounts you follow, ranked by how many of them follow each (then followers), over a " +
        "bounded sample of your newest follows; popular accounts fill the rest. Never yourself, accounts you follow or " +
        "have asked to follow, accounts blocked either way, muted or dismissed.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { query: SuggestionsQuerySchema },
      responses: {
        200: jsonContent(SuggestionListSchema, "The suggestions, best first"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await listSuggestions(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/suggestions/{username}",
      tags,
      summary: "Stop suggesting an account (idempotent)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { params: UsernameParamSchema, body: noBody },
      responses: {
        204: { description: "Dismissed" },
        ...problems("unauthorized", "not_found", "validation_failed", "unsupported_media_type"),
      },
    }),
    async (c) => {
      await dismissSuggestion(c.var.platform, callerOf(c).userId, c.req.valid("param").username);
      return c.body(null, 204);
    },
  );
