import { z } from "@hono/zod-openapi";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { userText } from "../../http/text";
import { UserSummarySchema } from "../users/user-summary";
import { ClientIdSchema, MessageBodySchema, MessageSchema } from "./chat.protocol";

/** A group holds at most 32 people, its creator included. */
export const MAX_GROUP_MEMBERS = 32;
export const TITLE_MAX = 64;

export const CreateConversationSchema = z
  .strictObject({
    usernames: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(MAX_GROUP_MEMBERS - 1)
      .openapi({ description: "One other person for a 1:1; 2-31 for a group. You are added yourself." }),
    title: userText().trim().min(1).max(TITLE_MAX).optional().openapi({ description: "Groups only" }),
  })
  .openapi("CreateConversation");

export const LastMessageSchema = z
  .object({ id: z.string(), sender: z.string(), body: z.string(), created_at: z.string() })
  .openapi("LastMessage");

export const ConversationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["direct", "group"]),
    title: z.string().nullable(),
    members: z.array(UserSummarySchema),
    folder: z.enum(["inbox", "requests"]).openapi({
      description: "`requests` for a conversation started by someone you do not follow, until you accept it",
    }),
    last_message: z.union([LastMessageSchema, z.null()]),
    unread_count: z.number().int(),
    last_activity_at: z.string(),
    created_at: z.string(),
  })
  .openapi("Conversation");

export const ConversationPageSchema = pageOf(ConversationSchema).openapi("ConversationPage");
export const MessagePageSchema = pageOf(MessageSchema).openapi("MessagePage");

export const ConversationListQuerySchema = PageQuerySchema.extend({
  folder: z.enum(["inbox", "requests"]).default("inbox"),
});

export const ConversationIdParamSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "01JD0000000000000000000000" }),
});

export const SendMessageSchema = z
  .strictObject({ body: MessageBodySchema, client_id: ClientIdSchema })
  .openapi("SendMessage");

export const MarkReadSchema = z.strictObject({ message_id: z.string().min(1).max(64) }).openapi("MarkRead");

export const TicketRequestSchema = z
  .strictObject({
    scope: z
      .string()
      .regex(
        /^(user|(conversation|live|post):[0-9A-Za-z]{1,64})$/,
        "`user`, `conversation:{id}`, `live:{id}` or `post:{id}`",
      )
      .openapi({ example: "conversation:01JD0000000000000000000000" }),
  })
  .openapi("TicketRequest");

export const TicketSchema = z
  .object({
    ticket: z.string(),
    expires_at: z.string(),
  })
  .openapi("RealtimeTicket");

export const TicketQuerySchema = z.strictObject({
  ticket: z.string().max(128).openapi({ description: "From POST /v1/realtime/tickets; works once" }),
});

export const RoomSocketQuerySchema = TicketQuerySchema.extend({
  since: z.coerce.number().int().min(0).optional().openapi({
    description: "The last `seq` the client has: messages after it are sent first, in order",
  }),
});
