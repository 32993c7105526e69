import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Link } from "wouter";
import { api, data } from "../api/client";
import { ago } from "../lib/time";
import { Avatar } from "../ui/Avatar";
import { EmptyState, ErrorMessage, Spinner } from "../ui/Feedback";
import { LoadMore } from "../ui/InfiniteList";

/** Who viewed one of your stories, newest first (GET /v1/stories/{id}/viewers, author only). */
export function ViewersDialog({ storyId, onClose }: { storyId: string; onClose: () => void }) {
  const viewers = useInfiniteQuery({
    queryKey: ["stories", "viewers", storyId],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/stories/{id}/viewers", {
          params: { path: { id: storyId }, query: { cursor: pageParam, limit: 20 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    staleTime: 0,
  });
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement;
    close.current?.focus();
    return () => {
      if (previous instanceof HTMLElement) previous.focus();
    };
  }, []);
  const items = viewers.data?.pages.flatMap((page) => page.items) ?? [];
  const count = viewers.data?.pages[0]?.view_count;
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-labelledby={`viewers-${storyId}`}
      className="absolute inset-x-0 bottom-0 z-20 flex max-h-[70%] flex-col rounded-t-2xl bg-white text-neutral-900 shadow-2xl"
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="flex items-center justify-between border-b border-neutral-200 px-4 py-3">
        <h2 id={`viewers-${storyId}`} className="font-semibold">
          Viewers{count !== undefined ? ` · ${count}` : ""}
        </h2>
        <button
          ref={close}
          type="button"
          onClick={onClose}
          className="rounded-lg px-3 py-1.5 text-sm font-semibold text-blue-700 hover:bg-blue-50"
        >
          Close
        </button>
      </div>
      <div className="overflow-y-auto px-4 py-2">
        {viewers.isPending ? <Spinner label="Loading viewers" /> : null}
        <ErrorMessage error={viewers.error} />
        {viewers.isSuccess && items.length === 0 ? (
          <EmptyState title="No views yet">People who see your story show up here.</EmptyState>
        ) : null}
        <ul className="divide-y divide-neutral-100" data-testid="story-viewers">
          {items.map((viewer) => (
            <li key={viewer.id} className="flex items-center gap-3 py-2">
              <Avatar user={viewer} size="md" />
              <Link href={`/u/${viewer.username}`} className="min-w-0 flex-1">
                <span className="block truncate font-semibold">{viewer.username}</span>
                {viewer.display_name ? (
                  <span className="block truncate text-sm text-neutral-600">{viewer.display_name}</span>
                ) : null}
              </Link>
              <time dateTime={viewer.viewed_at} className="text-sm text-neutral-600">
                {ago(viewer.viewed_at)}
              </time>
            </li>
          ))}
        </ul>
        <LoadMore
          hasMore={viewers.hasNextPage}
          loading={viewers.isFetchingNextPage}
          onLoad={() => void viewers.fetchNextPage()}
          label="More viewers"
        />
      </div>
    </div>
  );
}
