import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Schemas } from "../api/client";

type Group = Schemas["NotificationGroup"];
type GroupPage = Schemas["NotificationGroupPage"];

export const NOTIFICATIONS_KEY = ["notifications", "list"] as const;

/**
 * A notification arrived on the hub: its group (new, or one that just gained an actor) goes to
 * the top of the cached list at once, replacing its older copy, and the list is marked stale so
 * the next visit reads the server's truth.
 */
export function applyNotification(client: QueryClient, group: Group): void {
  client.setQueryData<InfiniteData<GroupPage>>(NOTIFICATIONS_KEY, (cached) => {
    if (!cached) return cached;
    const pages = cached.pages.map((page, i) => ({
      ...page,
      items: [...(i === 0 ? [group] : []), ...page.items.filter((g) => g.group_key !== group.group_key)],
    }));
    return { ...cached, pages };
  });
  void client.invalidateQueries({ queryKey: NOTIFICATIONS_KEY, refetchType: "none" });
}
