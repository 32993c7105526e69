import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { api, data, type Schemas } from "../api/client";

type Conversation = Schemas["Conversation"];
type ConversationPage = Schemas["ConversationPage"];
type Message = Schemas["Message"];
type MessagePage = Schemas["MessagePage"];
export type Folder = Conversation["folder"];

export const CONVERSATIONS_KEY = ["conversations"] as const;
export const conversationsKey = (folder: Folder) => ["conversations", folder] as const;
export const conversationKey = (id: string) => ["conversation", id] as const;
export const messagesKey = (id: string) => ["conversation", id, "messages"] as const;

/** The conversation on screen now: its new messages are read as they arrive, so they are not unread. */
let openConversation: string | null = null;
export const setOpenConversation = (id: string | null): void => {
  openConversation = id;
};

/**
 * A new message moves its conversation to the top of the cached inbox with the message as its
 * preview, counted unread unless it is one's own or the conversation is open. The server's inbox
 * index is written a moment later (docs/architecture.md "Inbox flush"), so a refetch now could
 * still show the old order: the cache is patched instead. A conversation not cached yet (a new
 * one) makes the lists load again.
 */
export function applyInboxMessage(client: QueryClient, conversationId: string, message: Message, meId: string): void {
  if (!placeInInbox(client, conversationId, message, meId)) void fetchIntoInbox(client, conversationId, message, meId);
}

/** Moves a cached conversation to the top with the message; false when no cached list has it. */
function placeInInbox(client: QueryClient, conversationId: string, message: Message, meId: string): boolean {
  let found = false;
  for (const folder of ["inbox", "requests"] as const) {
    client.setQueryData<InfiniteData<ConversationPage>>(conversationsKey(folder), (cached) => {
      if (!cached) return cached;
      const current = cached.pages.flatMap((page) => page.items).find((c) => c.id === conversationId);
      if (!current) return cached;
      found = true;
      if (current.last_message && current.last_message.id === message.id) return cached;
      const unread = message.sender !== meId && openConversation !== conversationId;
      const moved: Conversation = {
        ...current,
        last_message: { id: message.id, sender: message.sender, body: message.body, created_at: message.created_at },
        last_activity_at: message.created_at,
        unread_count: message.sender === meId ? 0 : current.unread_count + (unread ? 1 : 0),
      };
      const pages = cached.pages.map((page, i) => ({
        ...page,
        items: [...(i === 0 ? [moved] : []), ...page.items.filter((c) => c.id !== conversationId)],
      }));
      return { ...cached, pages };
    });
  }
  return found;
}

/**
 * A conversation the cached lists do not have (new, or further down than loaded): read it and put
 * it on top of its folder with this message, since the server's own summary may not have the
 * message yet.
 */
async function fetchIntoInbox(client: QueryClient, conversationId: string, message: Message, meId: string) {
  const folders = (["inbox", "requests"] as const).filter((f) => client.getQueryData(conversationsKey(f)));
  if (folders.length === 0) return;
  try {
    const conversation = await data(
      await api.GET("/v1/conversations/{id}", { params: { path: { id: conversationId } } }),
    );
    client.setQueryData<InfiniteData<ConversationPage>>(conversationsKey(conversation.folder), (cached) => {
      if (!cached || cached.pages.some((page) => page.items.some((c) => c.id === conversationId))) return cached;
      const [first, ...rest] = cached.pages;
      if (!first) return cached;
      return { ...cached, pages: [{ ...first, items: [conversation, ...first.items] }, ...rest] };
    });
    placeInInbox(client, conversationId, message, meId);
  } catch {
    void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
  }
}

/** The conversation was read on this device: its inbox row stops counting unread messages. */
export function markConversationReadInCache(client: QueryClient, conversationId: string): void {
  for (const folder of ["inbox", "requests"] as const) {
    client.setQueryData<InfiniteData<ConversationPage>>(conversationsKey(folder), (cached) => {
      if (!cached) return cached;
      if (!cached.pages.some((page) => page.items.some((c) => c.id === conversationId && c.unread_count > 0))) {
        return cached;
      }
      return {
        ...cached,
        pages: cached.pages.map((page) => ({
          ...page,
          items: page.items.map((c) => (c.id === conversationId ? { ...c, unread_count: 0 } : c)),
        })),
      };
    });
  }
}

/**
 * Adds a message (from the socket, the hub or an HTTP send) to the cached history, once: pages
 * are newest first, so it goes into the first page in `seq` order. Nothing happens before the
 * history has loaded; the socket then replays from the last seq the history has.
 */
export function addMessage(client: QueryClient, conversationId: string, message: Message): void {
  client.setQueryData<InfiniteData<MessagePage>>(messagesKey(conversationId), (cached) => {
    if (!cached) return cached;
    if (cached.pages.some((page) => page.items.some((m) => m.id === message.id))) return cached;
    const [first, ...rest] = cached.pages;
    if (!first) return cached;
    const items = [...first.items, message].sort((a, b) => b.seq - a.seq);
    return { ...cached, pages: [{ ...first, items }, ...rest] };
  });
}
