import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { Link, useParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { type Me, useSession } from "../../api/session";
import { Composer } from "../../direct/Composer";
import { useAccept } from "../../direct/ConversationRow";
import { conversationKey, messagesKey, setOpenConversation } from "../../direct/cache";
import { MessageList } from "../../direct/MessageList";
import { ConversationFaces, conversationName, othersOf } from "../../direct/people";
import { useRoom } from "../../direct/useRoom";
import { Button } from "../../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { Icon } from "../../ui/Icon";

type Conversation = Schemas["Conversation"];
type Message = Schemas["Message"];

const nearBottom = () => window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 240;
const toBottom = () => window.scrollTo({ top: document.documentElement.scrollHeight });

/** One conversation: its history (older pages on request), live messages, typing and read receipts. */
export default function ConversationScreen() {
  const { id = "" } = useParams<{ id: string }>();
  const me = useSession().user;
  const conversation = useQuery({
    queryKey: conversationKey(id),
    queryFn: async () => data(await api.GET("/v1/conversations/{id}", { params: { path: { id } } })),
  });
  if (!me) return null;
  if (conversation.isPending) return <Spinner label="Loading the conversation" />;
  if (!conversation.data) {
    return (
      <div className="px-4 py-6">
        <h1 className="mb-3 text-xl font-bold">Conversation</h1>
        <ErrorMessage error={conversation.error} />
        <Link href="/direct" className="mt-3 inline-block font-semibold text-blue-700 underline">
          Back to your messages
        </Link>
      </div>
    );
  }
  return <Room key={id} conversation={conversation.data} me={me} />;
}

function Room({ conversation, me }: { conversation: Conversation; me: Me }) {
  const id = conversation.id;
  const history = useInfiniteQuery({
    queryKey: messagesKey(id),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/conversations/{id}/messages", {
          params: { path: { id }, query: { cursor: pageParam, limit: 30 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    // The socket keeps the history current while the screen is open.
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 60_000,
  });
  const room = useRoom(id, me.id, history.isSuccess);
  const messages = ordered(history.data?.pages.flatMap((page) => page.items) ?? []);
  const others = othersOf(conversation, me.id);
  const group = conversation.kind === "group";
  const name = conversationName(conversation, me.id);

  useEffect(() => {
    setOpenConversation(id);
    return () => setOpenConversation(null);
  }, [id]);

  // Read what is on screen: the newest message from someone else, whenever the tab is visible.
  // A message request sends no receipt until it is accepted (the inbox promises so).
  const { markRead } = room;
  const latestTheirs = [...messages].reverse().find((m) => m.sender !== me.id);
  const request = conversation.folder === "requests";
  useEffect(() => {
    if (!latestTheirs || request) return;
    const mark = () => {
      if (document.visibilityState === "visible") markRead(latestTheirs);
    };
    mark();
    document.addEventListener("visibilitychange", mark);
    return () => document.removeEventListener("visibilitychange", mark);
  }, [latestTheirs, markRead, request]);

  // Scrolling: to the newest message on opening and when one arrives while at the bottom (or is
  // one's own); loading older messages keeps the one being read in place.
  const lastKey = room.pending.at(-1)?.client_id ?? messages.at(-1)?.id;
  const firstKey = messages[0]?.id;
  const opened = useRef(false);
  const wasNearBottom = useRef(true);
  const keepFromBottom = useRef<number | null>(null);
  const ownSend = useRef(false);
  useEffect(() => {
    const track = () => {
      wasNearBottom.current = nearBottom();
    };
    window.addEventListener("scroll", track, { passive: true });
    return () => window.removeEventListener("scroll", track);
  }, []);
  // A new last message, a pending send or a typing line growing the page: follow it down.
  const bottomKey = `${lastKey}:${room.typingUsers.length}`;
  const loaded = history.isSuccess;
  useLayoutEffect(() => {
    if (!loaded || !bottomKey) return;
    if (!opened.current || wasNearBottom.current || ownSend.current) {
      opened.current = true;
      ownSend.current = false;
      toBottom();
    }
  }, [bottomKey, loaded]);
  useLayoutEffect(() => {
    if (keepFromBottom.current === null || !firstKey) return;
    window.scrollTo({ top: document.documentElement.scrollHeight - keepFromBottom.current });
    keepFromBottom.current = null;
  }, [firstKey]);
  const loadOlder = () => {
    keepFromBottom.current = document.documentElement.scrollHeight - window.scrollY;
    void history.fetchNextPage();
  };

  const closed = room.status === "closed";
  const typingNames = room.typingUsers
    .map((userId) => conversation.members.find((m) => m.id === userId)?.username)
    .filter((n): n is string => Boolean(n));

  return (
    <div className="-mb-20 flex min-h-[calc(100dvh-57px)] flex-col pb-[49px] sm:-mb-6 sm:min-h-dvh sm:pb-0">
      <header className="sticky top-[57px] z-10 flex items-center gap-3 border-b border-neutral-200 bg-white px-4 py-2.5 sm:top-0">
        <Link href="/direct" aria-label="Back to messages" className="-ml-2 rounded-full p-2 text-neutral-900">
          <Icon
            name="back"
            className="h-6 w-6"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </Link>
        <ConversationFaces people={others} size="sm" />
        <div className="min-w-0 flex-1">
          <h1 className="truncate font-semibold leading-tight">{name}</h1>
          {!group && others[0] ? (
            <Link href={`/u/${others[0].username}`} className="block truncate text-sm text-neutral-600 hover:underline">
              @{others[0].username}
            </Link>
          ) : (
            <p className="truncate text-sm text-neutral-600">{conversation.members.length} people</p>
          )}
        </div>
      </header>
      <ConnectionNote status={room.status} />
      {conversation.folder === "requests" ? <RequestNote conversation={conversation} name={name} /> : null}

      <div className="flex-1">
        {history.hasNextPage ? (
          <div className="flex justify-center pt-4">
            <Button variant="secondary" busy={history.isFetchingNextPage} onClick={loadOlder}>
              {history.isFetchingNextPage ? "Loading…" : "Load earlier messages"}
            </Button>
          </div>
        ) : null}
        {history.isPending ? <Spinner label="Loading messages" /> : null}
        <ErrorMessage error={history.error} className="mx-4 mt-4" />
        {history.isSuccess && messages.length === 0 && room.pending.length === 0 ? (
          <EmptyState title={`Start chatting with ${name}`}>
            {group ? "Everyone in the group sees what you send." : "Say hello. Messages are private to the two of you."}
          </EmptyState>
        ) : null}
        <MessageList
          messages={messages}
          pending={room.pending}
          members={conversation.members}
          meId={me.id}
          group={group}
          readBy={room.readBy}
          onRetry={room.retry}
          onDiscard={room.discard}
        />
      </div>

      <div className="sticky bottom-[49px] z-10 border-t border-neutral-100 bg-white px-3 pt-1 pb-3 sm:bottom-0">
        <p role="status" className="min-h-5 px-2 pb-1 text-sm text-neutral-600" data-testid="typing">
          {typingNames.length > 0 ? typingText(typingNames) : ""}
        </p>
        <Composer
          disabled={closed}
          disabledReason="You can't send messages in this conversation"
          onTyping={room.typed}
          onSend={(body) => {
            ownSend.current = true;
            room.send(body);
          }}
        />
      </div>
    </div>
  );
}

/** History pages come newest first and may overlap live additions: oldest first, once each. */
function ordered(items: Message[]): Message[] {
  const byId = new Map(items.map((m) => [m.id, m]));
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

function typingText(names: string[]): string {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

/** Said only after a moment, so the first connection (or a quick reconnect) does not flash it. */
function ConnectionNote({ status }: { status: ReturnType<typeof useRoom>["status"] }) {
  const [shown, setShown] = useState(false);
  const down = status === "connecting" || status === "offline";
  useEffect(() => {
    if (!down) {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), 2_000);
    return () => clearTimeout(timer);
  }, [down]);
  let text: string | null = null;
  if (status === "closed") text = "This conversation is closed. You can read it but not send messages.";
  else if (shown && status === "offline") text = "You're offline. New messages will appear when you reconnect.";
  else if (shown && status === "connecting") text = "Reconnecting… Messages you send still go out.";
  return (
    <p role="status" className={text ? "bg-amber-50 px-4 py-2 text-sm text-amber-900" : "sr-only"}>
      {text ?? ""}
    </p>
  );
}

function RequestNote({ conversation, name }: { conversation: Conversation; name: string }) {
  const accept = useAccept(conversation.id);
  return (
    <div className="border-b border-neutral-200 bg-neutral-50 px-4 py-3 text-sm">
      <p className="text-neutral-800">
        <span className="font-semibold">{name}</span> wants to send you messages. Accept to move this conversation to
        your inbox.
      </p>
      <Button className="mt-2" busy={accept.isPending} onClick={() => accept.mutate()}>
        Accept
      </Button>
      <ErrorMessage error={accept.error} className="mt-2" />
    </div>
  );
}
