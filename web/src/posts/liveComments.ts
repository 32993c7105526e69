import { type InfiniteData, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, data, type Schemas } from "../api/client";

type Frame = Schemas["LiveServerFrame"] | Schemas["SocketPong"];
type Page = Schemas["CommentPage"];

// Replies sit under their post's key, so one invalidation of ["comments", postId] (the live
// socket's new-comment signal) reaches the top-level list and every open reply list.
export const commentsKey = (postId: string) => ["comments", postId] as const;
export const repliesKey = (postId: string, commentId: string) => ["comments", postId, "replies", commentId] as const;

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Other people's comments on an open post arrive as they are made, over the post's read-only
 * socket (docs/live.md "Live comments on posts"). Its frames carry no reply target or avatar, and
 * publishing is best effort, so a frame is only a signal: the HTTP lists (the record) are read
 * again. Comments this page already shows (your own, added when you posted them) are skipped.
 * The socket reconnects with backoff; a failure to connect is quiet, since the page still works.
 */
export function useLiveComments(postId: string): void {
  const client = useQueryClient();
  useEffect(() => {
    let socket: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const known = (id: string) =>
      client
        .getQueriesData<InfiniteData<Page>>({ queryKey: commentsKey(postId) })
        .some(([, cached]) => cached?.pages.some((page) => page.items.some((c) => c.id === id)));

    const refresh = () => {
      void client.invalidateQueries({ queryKey: commentsKey(postId) });
      void client.invalidateQueries({ queryKey: ["post", postId], exact: true });
    };

    let connectedBefore = false;
    const onFrame = (frame: Frame) => {
      // After a dropped socket, whatever was said meanwhile is only in the HTTP lists.
      if (frame.type === "ready") {
        if (connectedBefore) refresh();
        connectedBefore = true;
      } else if (frame.type === "comment" && frame.comments.some((c) => !known(c.id))) refresh();
      else if (frame.type === "comment_removed" && known(frame.comment_id)) refresh();
    };

    const schedule = () => {
      if (stopped) return;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
      attempt += 1;
      retry = setTimeout(() => void connect(), delay);
    };

    async function connect() {
      let ticket: string;
      try {
        ({ ticket } = await data(await api.POST("/v1/realtime/tickets", { body: { scope: `post:${postId}` } })));
      } catch {
        schedule();
        return;
      }
      if (stopped) return;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const url = `${scheme}://${location.host}/v1/posts/${encodeURIComponent(postId)}/comments/live?ticket=${encodeURIComponent(ticket)}`;
      const ws = new WebSocket(url);
      socket = ws;
      ws.onopen = () => {
        attempt = 0;
        ping = setInterval(() => ws.send(JSON.stringify({ type: "ping" })), PING_MS);
      };
      ws.onmessage = (event) => {
        if (typeof event.data !== "string") return;
        try {
          onFrame(JSON.parse(event.data) as Frame);
        } catch {
          // A frame that is not JSON is not one of ours; the lists stay as they are.
        }
      };
      ws.onclose = () => {
        clearInterval(ping);
        if (socket === ws) socket = null;
        schedule();
      };
    }

    void connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
    };
  }, [client, postId]);
}
