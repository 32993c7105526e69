import { z } from "@hono/zod-openapi";
import { UserSummarySchema } from "../users/user-summary";

/** At most this many suggestions in one answer (docs/search.md, "Suggested accounts"). */
export const MAX_SUGGESTIONS = 30;

export const SuggestionsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_SUGGESTIONS).default(MAX_SUGGESTIONS),
});

export const SuggestionSchema = UserSummarySchema.extend({
  mutual_count: z.number().int().openapi({
    description: "How many accounts you follow follow them (counted over the bounded sample; 0 for a popular pick)",
  }),
  followed_by: z
    .array(z.string())
    .max(3)
    .openapi({ description: "Up to 3 usernames of accounts you follow that follow them, most followed first" }),
}).openapi("Suggestion");

export const SuggestionListSchema = z
  .object({ items: z.array(SuggestionSchema).max(MAX_SUGGESTIONS) })
  .openapi("SuggestionList", {
    description: "Friends of friends by mutual count, then followers; popular accounts fill the rest",
  });
