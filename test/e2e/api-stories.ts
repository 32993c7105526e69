import { type ApiUser, apiCall, apiMedia } from "./api";

/** Stories set up and checked through the HTTP API, beside api.ts's posts and people. */
export interface TrayEntry {
  user: { username: string };
  has_unseen: boolean;
  story_count: number;
}

export async function apiStory(user: ApiUser, caption?: string): Promise<string> {
  const media = await apiMedia(user);
  const story = await apiCall<{ id: string }>("POST", "/v1/stories", user.token, {
    media_id: media,
    ...(caption ? { caption } : {}),
  });
  return story.id;
}

export async function apiTray(user: ApiUser): Promise<TrayEntry[]> {
  return (await apiCall<{ items: TrayEntry[] }>("GET", "/v1/stories/tray", user.token)).items;
}

export async function apiUserStories(
  viewer: ApiUser,
  username: string,
): Promise<{ id: string; caption: string; media: { alt_text: string } }[]> {
  return (
    await apiCall<{ items: { id: string; caption: string; media: { alt_text: string } }[] }>(
      "GET",
      `/v1/users/${username}/stories`,
      viewer.token,
    )
  ).items;
}

export async function apiStoryViewers(owner: ApiUser, storyId: string): Promise<string[]> {
  const page = await apiCall<{ items: { username: string }[] }>("GET", `/v1/stories/${storyId}/viewers`, owner.token);
  return page.items.map((viewer) => viewer.username);
}
