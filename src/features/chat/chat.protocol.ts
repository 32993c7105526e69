import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { NotificationGroupSchema } from "../notifications/notifications.schema";

/**
 * What travels between clients, the Worker and the chat Durable Objects: the message shape, the
 * WebSocket frames, and the results of the rooms' RPC methods. Shared by both ends so a change to
 * one side is a type error on the other.
 */

export const MESSAGE_MAX_CHARS = 2000;
/** Largest WebSocket frame (in bytes) a room or hub reads; anything larger closes the socket with 1009. */
export const MAX_FRAME_BYTES = 8 * 1024;
/** Sockets one user may hold open in one room (docs/security.md D8) and on their own hub. */
export const MAX_SOCKETS_PER_USER = 5;
/** Messages sent to a socket that reconnects with `?since=`; older ones are read over HTTP. */
export const RESUME_MAX_MESSAGES = 200;

/** Close codes: 4003 = membership gone (left, removed, blocked); 1009 too big. */
export const CLOSE_REVOKED = 4003;
/** The account's sessions ended (suspension; every socket of the account, chat, hub and live). */
export const CLOSE_SESSION_ENDED = 4001;
export const CLOSE_TOO_BIG = 1009;

/** Counts code points, as a person counts characters, not UTF-16 units. */
export const charCount = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

export const MessageBodySchema = userText()
  .refine((s) => s.trim().length > 0, "A message needs some text")
  .refine((s) => charCount(s) <= MESSAGE_MAX_CHARS, `At most ${MESSAGE_MAX_CHARS} characters`)
  .openapi({ description: `1-${MESSAGE_MAX_CHARS} characters`, example: "See you at 8?" });

export const ClientIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 characters of A-Z, a-z, 0-9, '_' and '-'")
  .openapi({
    description: "Chosen by the client, unique per message: a resend with the same id is stored once",
    example: "m-7f3a2c",
  });

export const MessageSchema = z
  .object({
    id: z.string(),
    seq: z.number().int().openapi({ description: "Position in the conversation, 1, 2, 3…; for `?since=`" }),
    sender: z.string().openapi({ description: "The sender's user id (see the conversation's members)" }),
    body: z.string(),
    sender_deleted: z.boolean().openapi({
      description: "The sender deleted their account: the message keeps its place, its body is empty",
    }),
    client_id: z.string(),
    created_at: z.string(),
    story_id: z.string().nullable().openapi({ description: "The story this message replies to, if any" }),
  })
  .openapi("Message");

export type ChatMessage = z.infer<typeof MessageSchema>;

/**
 * Frames a client sends. Unknown fields are ignored rather than refused, so an older or newer
 * client keeps working across a deploy (docs/security.md I11). Named in the OpenAPI document
 * (`ChatClientFrame`) and referenced from the socket routes' `x-websocket`.
 */
export const ClientFrameSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("message"), body: z.string(), client_id: z.string() }),
    z.object({ type: z.literal("typing") }),
    z.object({ type: z.literal("read"), message_id: z.string().max(64) }),
  ])
  .openapi("ChatClientFrame");

export const FrameErrorCodeSchema = z.enum([
  "invalid_frame",
  "invalid_message",
  "rate_limited",
  "not_member",
  "closed",
  "not_found",
]);
export type FrameErrorCode = z.infer<typeof FrameErrorCodeSchema>;

/** Frames the server sends on a conversation socket (`ChatServerFrame` in the document). */
export const ServerFrameSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("ready"), conversation_id: z.string(), last_seq: z.number().int() }),
    z.object({ type: z.literal("message"), message: MessageSchema }),
    z.object({ type: z.literal("typing"), user: z.string() }),
    z.object({ type: z.literal("read"), user: z.string(), message_id: z.string(), seq: z.number().int() }),
    z.object({
      type: z.literal("error"),
      code: FrameErrorCodeSchema,
      detail: z.string(),
      client_id: z.string().optional(),
    }),
  ])
  .openapi("ChatServerFrame");
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/**
 * Events on a user's hub socket (`GET /v1/realtime`; `HubEvent` in the document). Later features
 * add their own types. The client only pings it: any other frame gets an `error`
 * (`invalid_frame`, or `rate_limited` past the frame budget).
 */
export const HubEventSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("ready"), user_id: z.string() }),
    z.object({ type: z.literal("message"), conversation_id: z.string(), message: MessageSchema }),
    z.object({ type: z.literal("error"), code: z.enum(["invalid_frame", "rate_limited"]), detail: z.string() }),
    // A new notification (or a group it joined), with the unread count after it.
    z.object({ type: z.literal("notification"), group: NotificationGroupSchema, unread_count: z.number().int() }),
    // Caption suggestions for one of your images are ready (read them with GET …/caption-suggestions).
    z.object({ type: z.literal("caption_suggestions"), media_id: z.string() }),
  ])
  .openapi("HubEvent");
export type HubEvent = z.infer<typeof HubEventSchema>;

/**
 * Keep-alive on either socket: the runtime itself answers this exact text with `{"type":"pong"}`
 * (`setWebSocketAutoResponse`), without waking the object; documented, never parsed here.
 */
export const PingFrameSchema = z
  .object({ type: z.literal("ping") })
  .openapi("SocketPing", { description: 'Sent exactly as `{"type":"ping"}`; the answer is `{"type":"pong"}`' });
export const PongFrameSchema = z.object({ type: z.literal("pong") }).openapi("SocketPong");

/** Why a room refused a call; the Worker maps these to problems. */
export type RoomRefusal = "not_found" | "not_member" | "closed";

export type SendResult =
  | { ok: true; message: ChatMessage; duplicate: boolean }
  | { ok: false; code: RoomRefusal | "invalid_message"; detail?: string };

export type HistoryResult = { ok: true; messages: ChatMessage[] } | { ok: false; code: RoomRefusal };

/** Identity the Worker attaches when it forwards an upgrade it has authorized. */
export const UPGRADE_USER_HEADER = "x-edgegram-user";
export const UPGRADE_CONVERSATION_HEADER = "x-edgegram-conversation";
