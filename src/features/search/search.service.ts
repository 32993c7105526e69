import { decodeCursor, encodeCursor, invalidCursor } from "../../http/cursor";
import type { Platform } from "../../platform";
import { sha256Hex } from "../../platform/crypto";
import { canSeeContent, relationFromFacts } from "../../policy";
import { type HydrateDeps, hydratePosts } from "../posts/posts.hydrate";
import { postsWithFacts } from "../posts/posts.repo";
import { parseUserSummary } from "../users/user-summary";
import { searchAccounts, searchPosts, searchTags } from "./search.repo";

/*
 * Search (docs/search.md): accounts, tags and posts, each a bounded candidate set (at most
 * MAX_CANDIDATES rows from an index range or an FTS5 match) ranked in SQL, then filtered by the
 * visibility policy. Pages are offsets into that ranked set, in signed cursors bound to the
 * caller, the type and the query.
 */

export type SearchDeps = HydrateDeps & Pick<Platform, "config">;

/** What is searched for: NFKC, trimmed, lower case; `@` and `#` dropped where they are sigils. */
export function normaliseQuery(q: string, type: "accounts" | "tags" | "posts"): string {
  let n = q.normalize("NFKC").trim().toLowerCase();
  if (type === "accounts") n = n.replace(/^@+/, "");
  if (type === "tags") n = n.replace(/^#+/, "");
  return n;
}

async function pageOf<T>(
  deps: SearchDeps,
  list: string,
  all: T[],
  page: { cursor?: string; limit: number },
): Promise<{ items: T[]; next_cursor: string | null }> {
  let offset = 0;
  if (page.cursor !== undefined) {
    const [value] = await decodeCursor(deps.config.signingSecret, list, page.cursor);
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalidCursor();
    offset = value;
  }
  const items = all.slice(offset, offset + page.limit);
  const next = offset + page.limit;
  return {
    items,
    next_cursor: next < all.length ? await encodeCursor(deps.config.signingSecret, list, [next]) : null,
  };
}

export async function search(
  deps: SearchDeps,
  viewerId: string,
  query: { q: string; type: "accounts" | "tags" | "posts"; cursor?: string; limit: number },
) {
  const q = normaliseQuery(query.q, query.type);
  const list = `search:${query.type}:${viewerId}:${await sha256Hex(q)}`;
  // Shorter than the minimum (nothing to search for): an empty list, not an error.
  if (q.length === 0) return { items: [], next_cursor: null };
  switch (query.type) {
    case "accounts": {
      const rows = await searchAccounts(deps.db, viewerId, q);
      const page = await pageOf(deps, list, rows, query);
      return {
        items: await Promise.all(page.items.map((r) => parseUserSummary(deps, r.user))),
        next_cursor: page.next_cursor,
      };
    }
    case "tags":
      return pageOf(deps, list, await searchTags(deps.db, q), query);
    case "posts": {
      const ranked = (await searchPosts(deps.db, q)).map((r) => r.id);
      // The policy decides every result: the post reads' own rule, with the same facts.
      const facts = new Map((await postsWithFacts(deps.db, viewerId, ranked)).map((p) => [p.id, p]));
      const visible = ranked.flatMap((id) => {
        const post = facts.get(id);
        return post && canSeeContent(relationFromFacts(viewerId, post.author_id, post), post.audience) ? [post] : [];
      });
      const page = await pageOf(deps, list, visible, query);
      return { items: await hydratePosts(deps, page.items, viewerId), next_cursor: page.next_cursor };
    }
  }
}
