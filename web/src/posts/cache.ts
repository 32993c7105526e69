import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Schemas } from "../api/client";

type Post = Schemas["Post"];
type Page = { items: Post[]; next_cursor: string | null };

/**
 * The same post shows in many lists (feed, profile grid, tag pages, its own page). A change to it
 * (a like, a new comment count) is written into every cached copy at once, so the screens agree
 * without refetching.
 */
export function patchPost(client: QueryClient, id: string, patch: (post: Post) => Post): void {
  client.setQueriesData<unknown>({ predicate: () => true }, (cached: unknown) => {
    if (!cached || typeof cached !== "object") return cached;
    if ("pages" in cached) {
      const infinite = cached as InfiniteData<Page>;
      if (!infinite.pages.every((page) => Array.isArray(page?.items))) return cached;
      let touched = false;
      const pages = infinite.pages.map((page) => ({
        ...page,
        items: page.items.map((item) => {
          if (item?.id !== id || !("media" in item)) return item;
          touched = true;
          return patch(item);
        }),
      }));
      return touched ? { ...infinite, pages } : cached;
    }
    const single = cached as Partial<Post>;
    return single.id === id && "media" in single && "author" in single ? patch(cached as Post) : cached;
  });
}
