import { useQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";

export const UNREAD_KEY = ["notifications", "unread"] as const;

/**
 * How many notification groups the signed-in person has not seen. Read once, then kept current by
 * the hub socket (realtime/hub.ts sets it from each notification event and reads it again after a
 * reconnection); the slow refetch only covers a hub that stays down.
 */
export function useUnreadNotifications(): number {
  const query = useQuery({
    queryKey: UNREAD_KEY,
    queryFn: async () => data(await api.GET("/v1/notifications/unread_count")),
    refetchInterval: 5 * 60_000,
    staleTime: 60_000,
  });
  return query.data?.count ?? 0;
}
