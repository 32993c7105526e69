import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { ClientIdSchema, charCount } from "../chat/chat.protocol";

/**
 * What travels between clients, the Worker and a `LiveRoom`: the comment shape, the frames both
 * ways and the room's RPC results (docs/live.md). A room serves a live session (`live:{id}`,
 * comments in and out) or a post (`post:{id}`, the post's new and removed comments out only).
 */

export const LIVE_COMMENT_MAX_CHARS = 300;
/** Outgoing comments and reactions are gathered this long, then sent as one frame per socket. */
export const LIVE_BATCH_MS = 100;
/** The viewer count goes out at most this often. */
export const VIEWER_COUNT_EVERY_MS = 2000;
/** Comments a socket gets when it joins. */
export const RECENT_ON_JOIN = 50;

export const UPGRADE_ROOM_HEADER = "x-edgegram-room";
export const UPGRADE_USERNAME_HEADER = "x-edgegram-username";
export const UPGRADE_ROLE_HEADER = "x-edgegram-role";
/** Close code when the host blocks a viewer or the viewer loses access. */
export const CLOSE_REMOVED = 4003;
/** Close code after `ended`. */
export const CLOSE_ENDED = 4000;

export const LiveCommentSchema = z
  .object({
    id: z.string(),
    seq: z.number().int().openapi({ description: "Order in the room: 1, 2, 3…" }),
    user: z.object({ id: z.string(), username: z.string() }),
    body: z.string(),
    client_id: z.string(),
    created_at: z.string(),
    offset_ms: z
      .number()
      .int()
      .openapi({ description: "Milliseconds from the session's start (a recording's timeline)" }),
  })
  .openapi("LiveComment");
export type LiveComment = z.infer<typeof LiveCommentSchema>;

export const LiveCommentBodySchema = userText()
  .refine((s) => s.trim().length > 0, "A comment needs some text")
  .refine((s) => charCount(s) <= LIVE_COMMENT_MAX_CHARS, `At most ${LIVE_COMMENT_MAX_CHARS} characters`);

/** Frames a client sends on a live session's socket; the host may also moderate. */
export const LiveClientFrameSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("comment"), body: z.string(), client_id: z.string() }),
    z.object({ type: z.literal("reaction"), kind: z.literal("heart") }),
    z.object({ type: z.literal("pin"), comment_id: z.union([z.string().max(64), z.null()]) }),
    z.object({ type: z.literal("remove"), comment_id: z.string().max(64) }),
    z.object({ type: z.literal("comments_off"), off: z.boolean() }),
    z.object({ type: z.literal("mute"), user_id: z.string().max(64), muted: z.boolean() }),
  ])
  .openapi("LiveClientFrame", {
    description: "`pin`, `remove`, `comments_off` and `mute` are the host's; anyone else gets `error` `forbidden`",
  });
export type LiveClientFrame = z.infer<typeof LiveClientFrameSchema>;

export const LiveFrameErrorSchema = z.enum([
  "invalid_frame",
  "invalid_comment",
  "rate_limited",
  "forbidden",
  "muted",
  "comments_off",
  "ended",
  "read_only",
  "not_found",
]);
export type LiveFrameError = z.infer<typeof LiveFrameErrorSchema>;

export const LiveServerFrameSchema = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("ready"),
      room: z.string(),
      role: z.enum(["host", "viewer"]),
      comments_off: z.boolean(),
      pinned: z.union([LiveCommentSchema, z.null()]),
      recent: z.array(LiveCommentSchema),
      viewer_count: z.number().int(),
    }),
    z.object({
      type: z.literal("comment"),
      comments: z.array(LiveCommentSchema).openapi({ description: "Every comment of one ~100 ms window, in order" }),
    }),
    z.object({
      type: z.literal("reactions"),
      count: z.number().int().openapi({ description: "Hearts in this window" }),
      total: z.number().int(),
    }),
    z.object({ type: z.literal("viewer_count"), count: z.number().int() }),
    z.object({ type: z.literal("pinned"), comment: z.union([LiveCommentSchema, z.null()]) }),
    z.object({ type: z.literal("comment_removed"), comment_id: z.string() }),
    z.object({ type: z.literal("comments_off"), off: z.boolean() }),
    z.object({ type: z.literal("ended") }),
    z.object({
      type: z.literal("error"),
      code: LiveFrameErrorSchema,
      detail: z.string(),
      client_id: z.string().optional(),
    }),
  ])
  .openapi("LiveServerFrame");
export type LiveServerFrame = z.infer<typeof LiveServerFrameSchema>;

/** What a room is about, told by the Worker when it opens a socket or publishes (from D1). */
export interface RoomFacts {
  key: string;
  kind: "live" | "post";
  hostId: string;
  /** The session's start (offsets are counted from it); the post's creation for a post room. */
  startedAt: string;
  ended: boolean;
}

export { ClientIdSchema };
