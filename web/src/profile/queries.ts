import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data, type Schemas } from "../api/client";
import { useSession } from "../api/session";
import { isNotFound } from "../posts/errors";

type Profile = Schemas["Profile"];
type Relationship = Schemas["Relationship"];

export const profileKey = (username: string) => ["profile", username.toLowerCase()] as const;

/** A profile header with the caller's relationship; shared by the profile, its lists and list rows. */
export function useProfile(username: string, enabled = true) {
  return useQuery({
    queryKey: profileKey(username),
    queryFn: async () => data(await api.GET("/v1/users/{username}", { params: { path: { username } } })),
    enabled,
    staleTime: 30_000,
    retry: (count, error) => count < 2 && !isNotFound(error),
  });
}

export function useIsMe(username: string): boolean {
  const { user } = useSession();
  return user?.username.toLowerCase() === username.toLowerCase();
}

function patchProfile(client: QueryClient, username: string, patch: (profile: Profile) => Profile) {
  client.setQueryData<Profile>(profileKey(username), (profile) => (profile ? patch(profile) : profile));
}

function patchRelationship(client: QueryClient, username: string, change: Partial<Relationship>) {
  patchProfile(client, username, (profile) =>
    profile.relationship ? { ...profile, relationship: { ...profile.relationship, ...change } } : profile,
  );
}

/**
 * Follow, unfollow, or withdraw a request. The server answers the new state (a private account's
 * follow becomes a request); the profile's relationship and follower count follow it, and the
 * account's posts, lists and the home feed are fetched again because what the viewer may see changed.
 */
export function useFollow(username: string) {
  const client = useQueryClient();
  const { user } = useSession();
  return useMutation({
    mutationFn: async (follow: boolean) => {
      const params = { path: { username } };
      return data(
        await (follow
          ? api.POST("/v1/users/{username}/follow", { params })
          : api.DELETE("/v1/users/{username}/follow", { params })),
      );
    },
    onSuccess: ({ state }) => {
      patchProfile(client, username, (profile) => {
        const was = profile.relationship?.following ?? false;
        const now = state === "following";
        return {
          ...profile,
          followers_count: profile.followers_count + (now === was ? 0 : now ? 1 : -1),
          relationship: profile.relationship
            ? { ...profile.relationship, following: now, requested: state === "requested" }
            : profile.relationship,
        };
      });
      void client.invalidateQueries({ queryKey: ["user-posts", username.toLowerCase()] });
      void client.invalidateQueries({ queryKey: ["highlights", username.toLowerCase()] });
      void client.invalidateQueries({ queryKey: ["follows", username.toLowerCase()] });
      if (user) void client.invalidateQueries({ queryKey: profileKey(user.username) });
      void client.invalidateQueries({ queryKey: ["feed"] });
    },
  });
}

export function useBlock(username: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (block: boolean) => {
      const params = { path: { username } };
      return data(
        await (block
          ? api.POST("/v1/users/{username}/block", { params })
          : api.DELETE("/v1/users/{username}/block", { params })),
      );
    },
    onSuccess: ({ blocking }) => {
      // A block ends follows both ways. The server now answers 404 for the profile, so the cached
      // header stays (marked blocking) for the screen to offer the unblock; an unblock reads it again.
      patchRelationship(client, username, { blocking, following: false, followed_by: false, requested: false });
      if (!blocking) void client.invalidateQueries({ queryKey: profileKey(username) });
      void client.invalidateQueries({ queryKey: ["feed"] });
    },
  });
}

export function useMute(username: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (mute: boolean) => {
      const params = { path: { username } };
      return data(
        await (mute
          ? api.POST("/v1/users/{username}/mute", { params })
          : api.DELETE("/v1/users/{username}/mute", { params })),
      );
    },
    onSuccess: ({ muting }) => {
      patchRelationship(client, username, { muting });
      void client.invalidateQueries({ queryKey: ["feed"] });
    },
  });
}

/** The first page of the caller's pending follow requests (the profile's link shows when any). */
export function useFollowRequests() {
  return useQuery({
    queryKey: ["follow-requests", "first"],
    queryFn: async () => data(await api.GET("/v1/me/follow-requests", { params: { query: { limit: 1 } } })),
    staleTime: 15_000,
  });
}
