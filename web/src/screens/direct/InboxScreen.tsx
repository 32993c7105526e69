import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useSearchParams } from "wouter";
import { api, data } from "../../api/client";
import { useSession } from "../../api/session";
import { ConversationRow } from "../../direct/ConversationRow";
import { CONVERSATIONS_KEY, conversationKey, conversationsKey, type Folder, overlayLive } from "../../direct/cache";
import { NewMessage } from "../../direct/NewMessage";
import { Button } from "../../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

function useConversations(folder: Folder, meId: string) {
  return useInfiniteQuery({
    queryKey: conversationsKey(folder),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const page = await data(
        await api.GET("/v1/conversations", { params: { query: { folder, cursor: pageParam, limit: 20 } } }),
      );
      // What this tab saw live may be newer than the server's index, written a moment later.
      const items = page.items
        .map((c) => overlayLive(c, meId))
        .sort((x, y) => y.last_activity_at.localeCompare(x.last_activity_at));
      return { ...page, items };
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** Direct messages: your conversations by latest activity, message requests, and a new message. */
export default function InboxScreen() {
  const [params] = useSearchParams();
  const to = params.get("to");
  if (to) return <OpenWith username={to.replace(/^@/, "")} />;
  return <Inbox folder={params.get("folder") === "requests" ? "requests" : "inbox"} />;
}

function Inbox({ folder }: { folder: Folder }) {
  const me = useSession().user;
  const [, setParams] = useSearchParams();
  const [composing, setComposing] = useState(false);
  const inbox = useConversations("inbox", me?.id ?? "");
  const requests = useConversations("requests", me?.id ?? "");
  const list = folder === "inbox" ? inbox : requests;
  const conversations = list.data?.pages.flatMap((page) => page.items) ?? [];
  const requestCount = requests.data?.pages.flatMap((page) => page.items).length ?? 0;
  const moreRequests = requests.hasNextPage;
  if (!me) return null;
  const close = () => {
    setComposing(false);
    // Back to the button that opened the panel, so keyboard users keep their place.
    document.getElementById("new-message-button")?.focus();
  };
  return (
    <div className="sm:py-6">
      <div className="flex items-center justify-between gap-2 px-4 pt-4 pb-2 sm:pt-0">
        <h1 className="text-xl font-bold">Messages</h1>
        <Button
          id="new-message-button"
          onClick={() => (composing ? close() : setComposing(true))}
          aria-expanded={composing}
        >
          New message
        </Button>
      </div>
      {composing ? <NewMessage onClose={close} /> : null}
      <fieldset className="flex gap-2 px-4 pb-2">
        <legend className="sr-only">Folder</legend>
        {(["inbox", "requests"] as const).map((f) => (
          <button
            key={f}
            type="button"
            aria-pressed={folder === f}
            onClick={() => setParams(f === "requests" ? { folder: f } : {})}
            className={`rounded-full px-4 py-1.5 text-sm font-semibold ${folder === f ? "bg-neutral-900 text-white" : "bg-neutral-100 text-neutral-900"}`}
          >
            {f === "inbox"
              ? "Chats"
              : `Requests${requestCount > 0 ? ` (${requestCount}${moreRequests ? "+" : ""})` : ""}`}
          </button>
        ))}
      </fieldset>
      {folder === "requests" && conversations.length > 0 ? (
        <p className="px-4 pb-2 text-sm text-neutral-600">
          Messages from people you don't follow. They won't know you've seen them until you accept.
        </p>
      ) : null}
      {list.isPending ? <Spinner label="Loading conversations" /> : null}
      <ErrorMessage error={list.error} className="mx-4" />
      {list.isSuccess && conversations.length === 0 ? (
        folder === "inbox" ? (
          <EmptyState title="No messages yet">Send a private message to someone you know with New message.</EmptyState>
        ) : (
          <EmptyState title="No message requests">
            When someone you don't follow messages you, it waits here until you accept.
          </EmptyState>
        )
      ) : null}
      <ul aria-label={folder === "inbox" ? "Conversations" : "Message requests"}>
        {conversations.map((conversation) => (
          <ConversationRow
            key={conversation.id}
            conversation={conversation}
            meId={me.id}
            request={folder === "requests"}
          />
        ))}
      </ul>
      <LoadMore
        hasMore={list.hasNextPage}
        loading={list.isFetchingNextPage}
        onLoad={() => void list.fetchNextPage()}
        label="Load older conversations"
      />
    </div>
  );
}

/**
 * /direct?to=<username> (a profile's Message button): finds the 1:1 with that person, or starts
 * it (the server answers the existing one), and opens it in place of this address.
 */
function OpenWith({ username }: { username: string }) {
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const started = useRef<string | null>(null);
  useEffect(() => {
    // Once per name, also under StrictMode's double effects.
    if (started.current === username) return;
    started.current = username;
    setError(null);
    void (async () => {
      try {
        const conversation = await data(await api.POST("/v1/conversations", { body: { usernames: [username] } }));
        client.setQueryData(conversationKey(conversation.id), conversation);
        void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
        navigate(`/direct/${conversation.id}`, { replace: true });
      } catch (caught) {
        setError(caught);
      }
    })();
  }, [username, client, navigate]);
  return (
    <div className="px-4 py-6 sm:py-6">
      <h1 className="text-xl font-bold">Messages</h1>
      {error ? (
        <div className="mt-4 space-y-3">
          <ErrorMessage error={error} />
          <Link href="/direct" className="font-semibold text-blue-700 underline">
            Back to your messages
          </Link>
        </div>
      ) : (
        <Spinner label={`Opening your conversation with ${username}`} />
      )}
    </div>
  );
}
