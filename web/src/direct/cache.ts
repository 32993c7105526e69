import type { InfiniteData, QueryClient, QueryKey } from "@tanstack/react-query";
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
const FOLDERS = ["inbox", "requests"] as const;

/** The conversation on screen now: its new messages are read as they arrive, so they are not unread. */
let openConversation: string | null = null;
export const setOpenConversation = (id: string | null): void => {
  openConversation = id;
};

/**
 * What this tab knows before the server's inbox index does. The index (last message, read
 * positions) is written by the room a moment after a change (docs/architecture.md "Inbox flush"),
 * so a list fetched right after a message can still show the one before it: the newest message
 * seen live and the newest one read here are laid over each fetched row (`overlayLive`).
 * Message ids sort by time.
 */
const newestSeen = new Map<string, Message>();
const readHere = new Map<string, string>();

export function overlayLive(conversation: Conversation, meId: string): Conversation {
  let row = conversation;
  const seen = newestSeen.get(row.id);
  if (seen && (!row.last_message || seen.id > row.last_message.id)) {
    row = {
      ...row,
      last_message: { id: seen.id, sender: seen.sender, body: seen.body, created_at: seen.created_at },
      last_activity_at: seen.created_at,
      unread_count: seen.sender === meId ? 0 : Math.max(row.unread_count, 1),
    };
  }
  const read = readHere.get(row.id);
  if (read && row.last_message && read >= row.last_message.id && row.unread_count > 0)
    row = { ...row, unread_count: 0 };
  return row;
}

/**
 * Writes into a cached list without losing its invalidation: setting data marks a query fresh,
 * which would stop a list invalidated meanwhile (an accepted request) from loading again when
 * its screen opens.
 */
function patchList(
  client: QueryClient,
  key: QueryKey,
  patch: (cached: InfiniteData<ConversationPage>) => InfiniteData<ConversationPage>,
): void {
  const invalidated = client.getQueryState(key)?.isInvalidated ?? false;
  client.setQueryData<InfiniteData<ConversationPage>>(key, (cached) => (cached ? patch(cached) : cached));
  if (invalidated) void client.invalidateQueries({ queryKey: key, exact: true, refetchType: "none" });
}

/**
 * A new message moves its conversation to the top of the cached inbox with the message as its
 * preview, counted unread unless it is one's own or the conversation is open. The cache is
 * patched rather than refetched (the server's index may not have the message yet); a
 * conversation the lists lack is read and put on top.
 */
export function applyInboxMessage(client: QueryClient, conversationId: string, message: Message, meId: string): void {
  const before = newestSeen.get(conversationId);
  if (!before || message.id > before.id) newestSeen.set(conversationId, message);
  if (message.sender === meId || openConversation === conversationId) readHere.set(conversationId, message.id);
  if (!placeInInbox(client, conversationId, message, meId)) void fetchIntoInbox(client, conversationId, message, meId);
}

/** Moves a cached conversation to the top with the message; false when no cached list has it. */
function placeInInbox(client: QueryClient, conversationId: string, message: Message, meId: string): boolean {
  let found = false;
  for (const folder of FOLDERS) {
    patchList(client, conversationsKey(folder), (cached) => {
      const current = cached.pages.flatMap((page) => page.items).find((c) => c.id === conversationId);
      if (!current) return cached;
      found = true;
      if (current.last_message && current.last_message.id >= message.id) return cached;
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

/** A conversation the cached lists do not have (new, or further down than loaded): read it and put it on top. */
async function fetchIntoInbox(client: QueryClient, conversationId: string, message: Message, meId: string) {
  if (!FOLDERS.some((f) => client.getQueryData(conversationsKey(f)))) return;
  try {
    const conversation = await data(
      await api.GET("/v1/conversations/{id}", { params: { path: { id: conversationId } } }),
    );
    patchList(client, conversationsKey(conversation.folder), (cached) => {
      if (cached.pages.some((page) => page.items.some((c) => c.id === conversationId))) return cached;
      const [first, ...rest] = cached.pages;
      if (!first) return cached;
      return { ...cached, pages: [{ ...first, items: [overlayLive(conversation, meId), ...first.items] }, ...rest] };
    });
    placeInInbox(client, conversationId, message, meId);
  } catch {
    void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
  }
}

/** The conversation was read on this device up to `messageId`: its row stops counting unread messages. */
export function markConversationReadInCache(client: QueryClient, conversationId: string, messageId: string): void {
  const before = readHere.get(conversationId);
  if (!before || messageId > before) readHere.set(conversationId, messageId);
  for (const folder of FOLDERS) {
    patchList(client, conversationsKey(folder), (cached) => {
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
