import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { canSeeAccount } from "../../policy";
import { loadRelation } from "../graph/relations.repo";
import { parseUserSummary } from "../users/user-summary";
import { findUserByUsername } from "../users/users.repo";
import { dismiss, suggestionsFor } from "./suggestions.repo";

/*
 * Suggested accounts (docs/search.md, "Suggested accounts"): one bounded statement ranks friends
 * of friends and fills with popular accounts; a dismissal hides an account from the list for good.
 */

export type SuggestionsDeps = Pick<Platform, "db" | "clock" | "config" | "origin">;

export async function listSuggestions(deps: SuggestionsDeps, viewerId: string, query: { limit: number }) {
  const rows = await suggestionsFor(deps.db, viewerId, query.limit);
  return {
    items: await Promise.all(
      rows.map(async (row) => ({
        ...(await parseUserSummary(deps, row.user)),
        mutual_count: row.mutuals,
        followed_by: JSON.parse(row.followed_by) as string[],
      })),
    ),
  };
}

/**
 * Dismisses `username` from the caller's suggestions: idempotent; 404 for an unknown account and
 * for one across a block either way (the same answer, so a block is not revealed).
 */
export async function dismissSuggestion(deps: SuggestionsDeps, viewerId: string, username: string): Promise<void> {
  const user = await findUserByUsername(deps.db, username);
  if (!user || !canSeeAccount(await loadRelation(deps.db, viewerId, user))) throw notFound("user");
  if (user.id === viewerId) {
    throw new ApiError("validation_failed", "You are never suggested to yourself.", {
      errors: [{ path: "username", message: "cannot dismiss yourself" }],
    });
  }
  await dismiss(deps.db, viewerId, user.id, deps.clock.now().toISOString());
}
