import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "wouter";
import { api, data } from "../../api/client";
import { PostCard } from "../../posts/PostCard";
import { StoriesTray } from "../../stories/StoriesTray";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type Mode = "chronological" | "ranked";

export function useFeed(mode: Mode) {
  return useInfiniteQuery({
    queryKey: ["feed", mode],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET("/v1/feed", { params: { query: { mode, cursor: pageParam, limit: 10 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** Home: posts from the people you follow, newest first or ranked, loading more as you scroll. */
export function FeedScreen() {
  const [params, setParams] = useSearchParams();
  const mode: Mode = params.get("mode") === "ranked" ? "ranked" : "chronological";
  const feed = useFeed(mode);
  const posts = feed.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="space-y-4 pt-3 sm:py-6">
      <h1 className="sr-only">Home</h1>
      <StoriesTray />
      <fieldset className="flex gap-2 px-4 sm:px-0">
        <legend className="sr-only">Order of the feed</legend>
        {(["chronological", "ranked"] as const).map((m) => (
          <button
            key={m}
            type="button"
            aria-pressed={mode === m}
            onClick={() => setParams(m === "ranked" ? { mode: m } : {})}
            className={`rounded-full px-4 py-1.5 text-sm font-semibold ${mode === m ? "bg-neutral-900 text-white" : "bg-neutral-100 text-neutral-900"}`}
          >
            {m === "chronological" ? "Latest" : "For you"}
          </button>
        ))}
      </fieldset>
      {feed.isPending ? <Spinner label="Loading your feed" /> : null}
      <ErrorMessage error={feed.error} className="mx-4" />
      {feed.isSuccess && posts.length === 0 ? (
        <EmptyState title="Your feed is empty">
          Follow people to see their posts here.{" "}
          <Link href="/explore" className="font-semibold text-blue-700 underline">
            Explore
          </Link>{" "}
          or{" "}
          <Link href="/search" className="font-semibold text-blue-700 underline">
            search
          </Link>{" "}
          for someone.
        </EmptyState>
      ) : null}
      <div className="space-y-4" data-testid="feed">
        {posts.map((post, i) => (
          <PostCard key={post.id} post={post} eager={i === 0} />
        ))}
      </div>
      <LoadMore
        hasMore={feed.hasNextPage}
        loading={feed.isFetchingNextPage}
        onLoad={() => void feed.fetchNextPage()}
        label="Load older posts"
      />
    </div>
  );
}
