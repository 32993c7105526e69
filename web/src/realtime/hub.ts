import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { Schemas } from "../api/client";
import { useSession } from "../api/session";
import { applyInboxMessage, CONVERSATIONS_KEY } from "../direct/cache";
import { applyNotification, NOTIFICATIONS_KEY } from "../notifications/cache";
import { RealtimeSocket } from "./socket";
import { UNREAD_KEY } from "./unread";

export type HubEvent = Schemas["HubEvent"];
type Listener = (event: HubEvent) => void;

/**
 * The signed-in person's own event socket (GET /v1/realtime, one per tab): new notifications and
 * new messages in any conversation. Events update the caches here (badge, notifications list,
 * inbox); screens that want more (an open conversation) subscribe with `useHubEvent`.
 *
 * The hub stores nothing (docs/architecture.md "UserHub"): what happened while the socket was
 * down is read again from the server after each reconnection.
 */
const listeners = new Set<Listener>();

export function useHubEvent(listener: Listener): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    const forward: Listener = (event) => latest.current(event);
    listeners.add(forward);
    return () => {
      listeners.delete(forward);
    };
  }, []);
}

function dispatch(client: QueryClient, meId: string, event: HubEvent, reconnected: boolean): void {
  switch (event.type) {
    case "ready":
      // Events only reach an open socket: anything between the first count and this moment (or
      // during a drop) is read again now.
      void client.invalidateQueries({ queryKey: UNREAD_KEY });
      if (reconnected) {
        void client.invalidateQueries({ queryKey: NOTIFICATIONS_KEY });
        void client.invalidateQueries({ queryKey: CONVERSATIONS_KEY });
      }
      break;
    case "notification":
      client.setQueryData(UNREAD_KEY, { count: event.unread_count });
      applyNotification(client, event.group);
      break;
    case "message":
      applyInboxMessage(client, event.conversation_id, event.message, meId);
      break;
    case "error":
      console.warn(`Realtime hub: ${event.code}: ${event.detail}`);
      break;
    default:
      break;
  }
  for (const listener of listeners) listener(event);
}

/** Keeps the hub socket open while someone is signed in; called once, in the app's frame. */
export function useUserHub(): void {
  const meId = useSession().user?.id;
  const client = useQueryClient();
  useEffect(() => {
    if (!meId) return;
    let readies = 0;
    const socket = new RealtimeSocket<HubEvent, never>({
      scope: "user",
      path: (ticket) => `/v1/realtime?ticket=${ticket}`,
      onFrame: (event) => {
        if (event.type === "ready") readies += 1;
        dispatch(client, meId, event, readies > 1);
      },
    });
    socket.start();
    return () => socket.stop();
  }, [meId, client]);
}
