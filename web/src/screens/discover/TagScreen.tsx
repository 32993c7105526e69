import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams, useSearchParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { type Tab, TabPanel, Tabs } from "../../discover/Tabs";
import { PostGrid } from "../../posts/PostGrid";
import { Button } from "../../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type Sort = "recent" | "top";
const SORTS: Tab<Sort>[] = [
  { id: "recent", label: "Recent" },
  { id: "top", label: "Top" },
];

/** The tag as the URL spells it (wouter leaves %23 and friends encoded), without a leading #. */
function tagFromParam(raw: string): string {
  let tag = raw;
  try {
    tag = decodeURIComponent(raw);
  } catch {
    // A stray % is part of what was typed; the server answers whether it is a tag.
  }
  return tag.replace(/^#/, "");
}

/** Follow or unfollow, shown at once and put back if the server refuses. */
function useFollowTag(tag: string) {
  const client = useQueryClient();
  const key = ["tag", tag];
  return useMutation({
    mutationFn: async (follow: boolean) => {
      const params = { path: { tag } };
      return data(
        await (follow
          ? api.POST("/v1/tags/{tag}/follow", { params })
          : api.DELETE("/v1/tags/{tag}/follow", { params })),
      );
    },
    onMutate: async (follow) => {
      await client.cancelQueries({ queryKey: key, exact: true });
      const before = client.getQueryData<Schemas["Tag"]>(key);
      client.setQueryData<Schemas["Tag"]>(key, (t) => (t ? { ...t, following: follow } : t));
      return before;
    },
    onError: (_e, _follow, before) => client.setQueryData(key, before),
    onSuccess: (state) => client.setQueryData<Schemas["Tag"]>(key, (t) => (t ? { ...t, ...state } : t)),
  });
}

function TagPosts({ tag, sort }: { tag: string; sort: Sort }) {
  const posts = useInfiniteQuery({
    queryKey: ["tag", tag, "posts", sort],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/tags/{tag}/posts", {
          params: { path: { tag }, query: { sort, cursor: pageParam, limit: 24 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const items = posts.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      {posts.isPending ? <Spinner label="Loading posts" /> : null}
      <ErrorMessage error={posts.error} className="mx-4 mt-3" />
      {posts.isSuccess && items.length === 0 && !posts.hasNextPage ? (
        <EmptyState title={sort === "top" ? "No top posts this week" : "No posts yet"}>
          {sort === "top"
            ? "Posts from the last 7 days show here by likes, comments and saves."
            : `Posts with #${tag} will show here.`}
        </EmptyState>
      ) : null}
      {items.length > 0 ? <PostGrid posts={items} label={`Posts with #${tag}`} /> : null}
      <LoadMore
        hasMore={posts.hasNextPage}
        loading={posts.isFetchingNextPage}
        onLoad={() => void posts.fetchNextPage()}
        label="More posts"
      />
    </>
  );
}

/** A hashtag's page: how many posts use it, following it, and its posts newest or top first. */
export default function TagScreen() {
  const params = useParams<{ tag: string }>();
  const tag = tagFromParam(params.tag ?? "");
  const [search, setSearch] = useSearchParams();
  const sort: Sort = search.get("sort") === "top" ? "top" : "recent";
  const info = useQuery({
    queryKey: ["tag", tag],
    queryFn: async () => data(await api.GET("/v1/tags/{tag}", { params: { path: { tag } } })),
  });
  const follow = useFollowTag(tag);
  const name = info.data?.tag ?? tag;
  const following = info.data?.following ?? false;
  return (
    <div className="sm:py-6">
      <header className="flex items-center gap-4 px-4 py-5 sm:gap-8 sm:px-2">
        <span
          aria-hidden="true"
          className="inline-flex h-20 w-20 shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-neutral-100 to-neutral-200 text-4xl font-light text-neutral-800 sm:h-32 sm:w-32 sm:text-6xl"
        >
          #
        </span>
        <div className="min-w-0 space-y-2">
          <h1 className="truncate text-xl font-semibold sm:text-2xl">#{name}</h1>
          {info.data ? (
            <p className="text-neutral-700" data-testid="tag-post-count">
              <span className="font-semibold text-neutral-900">{info.data.post_count.toLocaleString()}</span>{" "}
              {info.data.post_count === 1 ? "post" : "posts"}
            </p>
          ) : null}
          {info.data ? (
            <Button
              variant={following ? "secondary" : "primary"}
              onClick={() => follow.mutate(!following)}
              className="min-w-28"
            >
              {following ? "Following" : "Follow"}
            </Button>
          ) : null}
        </div>
      </header>
      {info.isPending ? <Spinner label="Loading the tag" /> : null}
      <ErrorMessage error={info.error ?? follow.error} className="mx-4 mb-3" />
      {info.isError ? null : (
        <>
          <Tabs
            tabs={SORTS}
            selected={sort}
            onSelect={(next) => setSearch(next === "top" ? { sort: "top" } : {}, { replace: true })}
            label="Order of posts"
            idPrefix="tag-sort"
          />
          <TabPanel idPrefix="tag-sort" selected={sort}>
            <div className="pt-1">
              <TagPosts tag={tag} sort={sort} />
            </div>
          </TabPanel>
        </>
      )}
    </div>
  );
}
