import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, data } from "../../api/client";
import { PostGrid } from "../../posts/PostGrid";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

/** Tags whose use stands out today, as chips; nothing at all when there are none. */
function TrendingTags() {
  const trends = useQuery({
    queryKey: ["tags", "trending"],
    queryFn: async () => data(await api.GET("/v1/tags/trending")),
    staleTime: 5 * 60_000,
  });
  const items = trends.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="trending-heading" className="px-4 sm:px-0">
      <h2 id="trending-heading" className="mb-2 text-sm font-semibold text-neutral-900">
        Trending tags
      </h2>
      <ul className="flex gap-2 overflow-x-auto pb-1 sm:flex-wrap sm:overflow-visible">
        {items.map((trend) => (
          <li key={trend.tag} className="shrink-0">
            <Link
              href={`/tags/${encodeURIComponent(trend.tag)}`}
              className="inline-flex items-center rounded-full border border-neutral-300 bg-white px-3 py-1.5 text-sm font-semibold text-neutral-900 hover:bg-neutral-100"
            >
              <span className="text-neutral-600">#</span>
              {trend.tag}
              <span className="sr-only">, {trend.uses_today.toLocaleString()} posts today</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Explore: posts from accounts you do not follow yet. The server stores page 1's order and
 * leaves out what it has shown you before, so the list is read once and kept (no background
 * refetch that would swap the grid for a different one while you look at it).
 */
export default function ExploreScreen() {
  const explore = useInfiniteQuery({
    queryKey: ["explore"],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET("/v1/explore", { params: { query: { cursor: pageParam, limit: 24 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const posts = explore.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="space-y-4 pt-3 sm:py-6">
      <h1 className="px-4 text-xl font-bold sm:px-0">Explore</h1>
      <TrendingTags />
      {explore.isPending ? <Spinner label="Loading posts to explore" /> : null}
      <ErrorMessage error={explore.error} className="mx-4 sm:mx-0" />
      {explore.isSuccess && posts.length === 0 ? (
        <EmptyState title="Nothing new to explore">
          You have seen everything for now. Come back later, or{" "}
          <Link href="/search" className="font-semibold text-blue-700 underline">
            search
          </Link>{" "}
          for people and tags.
        </EmptyState>
      ) : null}
      {posts.length > 0 ? <PostGrid posts={posts} label="Posts to explore" /> : null}
      <LoadMore
        hasMore={explore.hasNextPage}
        loading={explore.isFetchingNextPage}
        onLoad={() => void explore.fetchNextPage()}
        label="More posts"
      />
    </div>
  );
}
