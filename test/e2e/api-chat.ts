import { expect } from "vitest";
import { type ApiUser, apiCall } from "./api";

/** Direct messages and likes through the public API, for the realtime browser tests. */
export interface ApiConversation {
  id: string;
  folder: "inbox" | "requests";
}

export async function apiLike(user: ApiUser, postId: string): Promise<void> {
  await apiCall("POST", `/v1/posts/${postId}/like`, user.token);
}

/** Starts (or finds) a conversation with the named people. */
export async function apiConversation(user: ApiUser, usernames: string[]): Promise<ApiConversation> {
  return apiCall<ApiConversation>("POST", "/v1/conversations", user.token, { usernames });
}

let sent = 0;
/** Sends a message over HTTP (the path a client without a socket takes). */
export async function apiSend(
  user: ApiUser,
  conversationId: string,
  body: string,
): Promise<{ id: string; seq: number }> {
  sent += 1;
  return apiCall("POST", `/v1/conversations/${conversationId}/messages`, user.token, {
    body,
    client_id: `e2e-${Date.now().toString(36)}-${sent}`,
  });
}

/**
 * Waits until `groups` notification groups exist (they are written by a queue consumer, a moment
 * after the fact), then marks them all read, as opening the notifications screen would.
 */
export async function apiReadNotifications(user: ApiUser, groups: number): Promise<void> {
  let newest = "";
  await expect
    .poll(
      async () => {
        const page = await apiCall<{ items: { most_recent_notification_id: string }[] }>(
          "GET",
          "/v1/notifications",
          user.token,
        );
        newest = page.items[0]?.most_recent_notification_id ?? "";
        return page.items.length;
      },
      { timeout: 30_000, interval: 250 },
    )
    .toBe(groups);
  await apiCall("POST", "/v1/notifications/read", user.token, { last_read_id: newest });
}
