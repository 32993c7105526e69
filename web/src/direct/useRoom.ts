import { type InfiniteData, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useHubEvent } from "../realtime/hub";
import { RealtimeSocket, type SocketStatus } from "../realtime/socket";
import { addMessage, markConversationReadInCache, messagesKey } from "./cache";

type Message = Schemas["Message"];
type MessagePage = Schemas["MessagePage"];
type ServerFrame = Schemas["ChatServerFrame"];
type ClientFrame = Schemas["ChatClientFrame"];

export interface Pending {
  client_id: string;
  body: string;
  state: "sending" | "failed";
  error?: unknown;
}

/** A socket send that no echo confirmed by then goes over HTTP too (the client id makes it one message). */
const CONFIRM_WITHIN_MS = 8_000;
/** Typing frames go out at most this often while someone types. */
const TYPING_EVERY_MS = 3_000;
/** The other side's indicator stays this long after their last typing frame. */
const TYPING_SHOWS_MS = 6_000;

/** What a room replays after `since` at most (src/features/chat/chat.protocol.ts). */
const RESUME_MAX_MESSAGES = 200;

const newClientId = (): string => `m-${crypto.randomUUID()}`;

const FRAME_WORDS: Record<string, string> = {
  rate_limited: "You're sending messages too fast. Wait a moment and try again.",
  closed: "This conversation is closed.",
  not_member: "You're no longer in this conversation.",
};

/**
 * One conversation's live side (GET /v1/conversations/{id}/ws): messages arrive into the cached
 * history, sends carry a client id (shown pending until the server's echo), typing and read
 * frames go both ways. After a drop the socket reopens with `since` = the last seq in the history,
 * so the room replays what was missed in order; while it is down, sends and read marks go over
 * HTTP instead. Starts once the first page of history is in (`historyReady`), so `since` is known.
 */
export function useRoom(conversationId: string, meId: string, historyReady: boolean) {
  const client = useQueryClient();
  const [status, setStatus] = useState<SocketStatus>("connecting");
  const [pending, setPending] = useState<Pending[]>([]);
  const [readBy, setReadBy] = useState<Record<string, number>>({});
  const [typing, setTyping] = useState<Record<string, number>>({});
  const socket = useRef<RealtimeSocket<ServerFrame, ClientFrame> | null>(null);
  const pendingRef = useRef<Pending[]>([]);
  pendingRef.current = pending;
  const lastTyping = useRef(0);
  const lastReadSent = useRef(0);
  const confirmTimers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const lastSeq = useCallback((): number => {
    const cached = client.getQueryData<InfiniteData<MessagePage>>(messagesKey(conversationId));
    let max = 0;
    for (const page of cached?.pages ?? []) for (const m of page.items) max = Math.max(max, m.seq);
    return max;
  }, [client, conversationId]);

  const settle = useCallback((clientId: string) => {
    clearTimeout(confirmTimers.current.get(clientId));
    confirmTimers.current.delete(clientId);
    setPending((list) => list.filter((p) => p.client_id !== clientId));
  }, []);

  const fail = useCallback((clientId: string, error: unknown) => {
    clearTimeout(confirmTimers.current.get(clientId));
    confirmTimers.current.delete(clientId);
    setPending((list) => list.map((p) => (p.client_id === clientId ? { ...p, state: "failed", error } : p)));
  }, []);

  const received = useCallback(
    (message: Message) => {
      addMessage(client, conversationId, message);
      if (message.sender === meId) {
        settle(message.client_id);
        return;
      }
      // Sending a message means having read everything before it (the room records it so).
      setReadBy((seen) =>
        (seen[message.sender] ?? 0) >= message.seq ? seen : { ...seen, [message.sender]: message.seq },
      );
      setTyping((now) => {
        if (!(message.sender in now)) return now;
        const { [message.sender]: _gone, ...rest } = now;
        return rest;
      });
    },
    [client, conversationId, meId, settle],
  );

  const sendHttp = useCallback(
    async (item: Pick<Pending, "client_id" | "body">) => {
      try {
        const message = await data(
          await api.POST("/v1/conversations/{id}/messages", {
            params: { path: { id: conversationId } },
            body: { body: item.body, client_id: item.client_id },
          }),
        );
        received(message);
      } catch (error) {
        fail(item.client_id, error);
      }
    },
    [conversationId, received, fail],
  );

  const deliver = useCallback(
    (item: Pick<Pending, "client_id" | "body">) => {
      const sent = socket.current?.send({ type: "message", body: item.body, client_id: item.client_id });
      if (!sent) {
        void sendHttp(item);
        return;
      }
      clearTimeout(confirmTimers.current.get(item.client_id));
      confirmTimers.current.set(
        item.client_id,
        setTimeout(() => {
          confirmTimers.current.delete(item.client_id);
          if (pendingRef.current.some((p) => p.client_id === item.client_id && p.state === "sending")) {
            void sendHttp(item);
          }
        }, CONFIRM_WITHIN_MS),
      );
    },
    [sendHttp],
  );

  useEffect(() => {
    if (!historyReady) return;
    const room = new RealtimeSocket<ServerFrame, ClientFrame>({
      scope: `conversation:${conversationId}`,
      path: (ticket) =>
        `/v1/conversations/${encodeURIComponent(conversationId)}/ws?ticket=${ticket}&since=${lastSeq()}`,
      onStatus: setStatus,
      onFrame: (frame) => {
        switch (frame.type) {
          case "ready":
            // The room replays at most RESUME_MAX_MESSAGES after `since`; a longer gap is read over HTTP.
            if (frame.last_seq - lastSeq() > RESUME_MAX_MESSAGES) {
              void client.invalidateQueries({ queryKey: messagesKey(conversationId) });
            }
            // Whatever was sent into the gap goes again; the client id keeps it to one message.
            for (const item of pendingRef.current) if (item.state === "sending") deliver(item);
            return;
          case "message":
            received(frame.message);
            return;
          case "typing":
            if (frame.user !== meId) setTyping((now) => ({ ...now, [frame.user]: Date.now() + TYPING_SHOWS_MS }));
            return;
          case "read":
            if (frame.user === meId) return;
            setReadBy((seen) => ((seen[frame.user] ?? 0) >= frame.seq ? seen : { ...seen, [frame.user]: frame.seq }));
            return;
          case "error":
            if (frame.client_id) {
              fail(frame.client_id, new ApiProblem(0, frame.code, FRAME_WORDS[frame.code] ?? frame.detail));
            } else if (frame.code !== "not_found") {
              console.warn(`Conversation socket: ${frame.code}: ${frame.detail}`);
            }
            return;
        }
      },
    });
    socket.current = room;
    room.start();
    return () => {
      room.stop();
      socket.current = null;
    };
  }, [historyReady, conversationId, meId, lastSeq, received, deliver, fail, client]);

  useEffect(() => {
    const timers = confirmTimers.current;
    return () => {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    };
  }, []);

  // The hub carries the same messages: a second path while the room's socket is reconnecting.
  useHubEvent((event) => {
    if (event.type === "message" && event.conversation_id === conversationId) received(event.message);
  });

  // Typing indicators fade by themselves when no new frame renews them.
  const nextExpiry = Math.min(...Object.values(typing));
  useEffect(() => {
    if (!Number.isFinite(nextExpiry)) return;
    const timer = setTimeout(
      () => {
        const now = Date.now();
        setTyping((all) => Object.fromEntries(Object.entries(all).filter(([, until]) => until > now)));
      },
      Math.max(0, nextExpiry - Date.now()) + 50,
    );
    return () => clearTimeout(timer);
  }, [nextExpiry]);

  const send = useCallback(
    (body: string) => {
      const item: Pending = { client_id: newClientId(), body, state: "sending" };
      setPending((list) => [...list, item]);
      pendingRef.current = [...pendingRef.current, item];
      deliver(item);
    },
    [deliver],
  );

  const retry = useCallback(
    (clientId: string) => {
      const item = pendingRef.current.find((p) => p.client_id === clientId);
      if (!item) return;
      setPending((list) =>
        list.map((p) => (p.client_id === clientId ? { ...p, state: "sending", error: undefined } : p)),
      );
      deliver(item);
    },
    [deliver],
  );

  const discard = useCallback((clientId: string) => settle(clientId), [settle]);

  const typed = useCallback(() => {
    const now = Date.now();
    if (now - lastTyping.current < TYPING_EVERY_MS) return;
    if (socket.current?.send({ type: "typing" })) lastTyping.current = now;
  }, []);

  /** Marks what is on screen as read: over the socket, else over HTTP. */
  const markRead = useCallback(
    (message: Message) => {
      if (message.seq <= lastReadSent.current) return;
      lastReadSent.current = message.seq;
      markConversationReadInCache(client, conversationId, message.id);
      if (socket.current?.send({ type: "read", message_id: message.id })) return;
      void (async () => {
        try {
          await data(
            await api.POST("/v1/conversations/{id}/read", {
              params: { path: { id: conversationId } },
              body: { message_id: message.id },
            }),
          );
        } catch (error) {
          // Read receipts are best effort: the next message seen marks everything before it.
          lastReadSent.current = 0;
          console.warn("Could not mark the conversation read", error);
        }
      })();
    },
    [client, conversationId],
  );

  return {
    status,
    pending,
    readBy,
    typingUsers: Object.keys(typing),
    send,
    retry,
    discard,
    typed,
    markRead,
  };
}
