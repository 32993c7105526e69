import { type InfiniteData, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import type { Schemas } from "../api/client";
import { RealtimeSocket } from "../realtime/socket";

type Frame = Schemas["LiveServerFrame"] | Schemas["SocketPong"];
type Page = Schemas["CommentPage"];

// Replies sit under their post's key, so one invalidation of ["comments", postId] (the live
// socket's new-comment signal) reaches the top-level list and every open reply list.
export const commentsKey = (postId: string) => ["comments", postId] as const;
export const repliesKey = (postId: string, commentId: string) => ["comments", postId, "replies", commentId] as const;

/**
 * Other people's comments on an open post arrive as they are made, over the post's read-only
 * socket (docs/live.md "Live comments on posts"). Its frames carry no reply target or avatar, and
 * publishing is best effort, so a frame is only a signal: the HTTP lists (the record) are read
 * again. Comments this page already shows (your own, added when you posted them) are skipped.
 * The socket reconnects with backoff (web/src/realtime/socket.ts); a failure to connect is quiet,
 * since the page still works.
 */
export function useLiveComments(postId: string): void {
  const client = useQueryClient();
  useEffect(() => {
    const known = (id: string) =>
      client
        .getQueriesData<InfiniteData<Page>>({ queryKey: commentsKey(postId) })
        .some(([, cached]) => cached?.pages.some((page) => page.items.some((c) => c.id === id)));

    const refresh = () => {
      void client.invalidateQueries({ queryKey: commentsKey(postId) });
      void client.invalidateQueries({ queryKey: ["post", postId], exact: true });
    };

    let connectedBefore = false;
    const socket = new RealtimeSocket<Frame, never>({
      scope: `post:${postId}`,
      path: (ticket) => `/v1/posts/${encodeURIComponent(postId)}/comments/live?ticket=${ticket}`,
      onFrame: (frame) => {
        // After a dropped socket, whatever was said meanwhile is only in the HTTP lists.
        if (frame.type === "ready") {
          if (connectedBefore) refresh();
          connectedBefore = true;
        } else if (frame.type === "comment" && frame.comments.some((c) => !known(c.id))) refresh();
        else if (frame.type === "comment_removed" && known(frame.comment_id)) refresh();
      },
    });
    socket.start();
    return () => socket.stop();
  }, [client, postId]);
}
