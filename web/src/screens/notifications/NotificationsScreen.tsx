import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, data, type Schemas } from "../../api/client";
import { NOTIFICATIONS_KEY } from "../../notifications/cache";
import { NotificationRow } from "../../notifications/NotificationRow";
import { UNREAD_KEY, useUnreadNotifications } from "../../realtime/unread";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type Group = Schemas["NotificationGroup"];

/**
 * Moves the read marker to the newest notification shown, so the badge clears: on opening, and
 * again whenever a new one arrives live at the top while the screen is open. The marker never
 * moves back (docs/notifications.md "Read state"), so a repeated call is harmless.
 */
function useMarkRead(top: Group | undefined) {
  const client = useQueryClient();
  const unread = useUnreadNotifications();
  const marked = useRef<string | null>(null);
  const id = top?.most_recent_notification_id;
  const needed = top ? top.unread || unread > 0 : false;
  useEffect(() => {
    if (!id || !needed || marked.current === id) return;
    marked.current = id;
    void (async () => {
      try {
        await data(await api.POST("/v1/notifications/read", { body: { last_read_id: id } }));
        client.setQueryData(UNREAD_KEY, { count: 0 });
      } catch (error) {
        // The badge keeps its count and the next visit tries again; nothing here to show.
        marked.current = null;
        console.warn("Could not mark notifications read", error);
      }
    })();
  }, [id, needed, client]);
}

/** Activity on your posts and account, grouped ("alice and 3 others liked your post"), newest first. */
export default function NotificationsScreen() {
  const list = useInfiniteQuery({
    queryKey: NOTIFICATIONS_KEY,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET("/v1/notifications", { params: { query: { cursor: pageParam, limit: 20 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const groups = list.data?.pages.flatMap((page) => page.items) ?? [];
  useMarkRead(groups[0]);
  const fresh = groups.filter((g) => g.unread);
  const earlier = groups.filter((g) => !g.unread);
  return (
    <div className="sm:py-6">
      <h1 className="px-4 pt-4 pb-2 text-xl font-bold sm:pt-0">Notifications</h1>
      {list.isPending ? <Spinner label="Loading notifications" /> : null}
      <ErrorMessage error={list.error} className="mx-4" />
      {list.isSuccess && groups.length === 0 ? (
        <EmptyState title="No notifications yet">
          When someone likes or comments on your posts, mentions you or follows you, you'll see it here.
        </EmptyState>
      ) : null}
      {fresh.length > 0 ? <Section title="New" groups={fresh} /> : null}
      {earlier.length > 0 ? <Section title={fresh.length > 0 ? "Earlier" : "Recent"} groups={earlier} /> : null}
      <LoadMore
        hasMore={list.hasNextPage}
        loading={list.isFetchingNextPage}
        onLoad={() => void list.fetchNextPage()}
        label="Load older notifications"
      />
    </div>
  );
}

function Section({ title, groups }: { title: string; groups: Group[] }) {
  return (
    <section aria-label={title} className="border-b border-neutral-200 last:border-b-0">
      <h2 className="px-4 pt-3 pb-1 text-base font-semibold">{title}</h2>
      <ul>
        {groups.map((group) => (
          <NotificationRow key={group.group_key} group={group} />
        ))}
      </ul>
    </section>
  );
}
