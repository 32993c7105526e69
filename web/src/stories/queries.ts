import { type QueryClient, useQuery } from "@tanstack/react-query";
import { api, data, type Schemas } from "../api/client";

type Tray = Schemas["StoryTray"];

/** Every story query starts with "stories", so a new or deleted story refreshes them all at once. */
export const TRAY_KEY = ["stories", "tray"] as const;
export const userStoriesKey = (username: string) => ["stories", "user", username] as const;

export function useStoryTray() {
  return useQuery({
    queryKey: TRAY_KEY,
    queryFn: async () => data(await api.GET("/v1/stories/tray")),
  });
}

export function useUserStories(username: string) {
  return useQuery({
    queryKey: userStoriesKey(username),
    queryFn: async () => data(await api.GET("/v1/users/{username}/stories", { params: { path: { username } } })),
    // Signed image URLs and expiry move on; a viewer opened again later reads afresh.
    staleTime: 0,
  });
}

/** Marks an account's ring as seen in the cached tray at once (the server agrees on next read). */
export function markTraySeen(client: QueryClient, username: string): void {
  client.setQueryData<Tray>(TRAY_KEY, (tray) =>
    tray
      ? {
          ...tray,
          items: tray.items.map((entry) =>
            entry.user.username === username ? { ...entry, has_unseen: false } : entry,
          ),
        }
      : tray,
  );
}
