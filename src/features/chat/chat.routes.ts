import { createRoute } from "@hono/zod-openapi";
import { PageQuerySchema } from "../../http/cursor";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import {
  bearerAuth,
  createRouter,
  frameRef,
  jsonBody,
  jsonContent,
  noBody,
  problems,
  responseHeaders,
  websocketUpgrade,
} from "../../http/openapi";
import {
  ClientFrameSchema,
  HubEventSchema,
  MessageSchema,
  PingFrameSchema,
  PongFrameSchema,
  ServerFrameSchema,
} from "./chat.protocol";
import {
  ConversationIdParamSchema,
  ConversationListQuerySchema,
  ConversationPageSchema,
  ConversationSchema,
  CreateConversationSchema,
  MarkReadSchema,
  MessagePageSchema,
  RoomSocketQuerySchema,
  SendMessageSchema,
  TicketQuerySchema,
  TicketRequestSchema,
  TicketSchema,
} from "./chat.schema";
import * as chat from "./chat.service";

const tags = ["chat"];
const signedIn = { security: bearerAuth, middleware: [requireAuth] };
const upgrade = websocketUpgrade;
/** A WebSocket frame schema, registered at the end of this file. */
const frame = frameRef;

export const conversationRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Start a 1:1 (or get the existing one) or a group of up to 32",
      description:
        "Limited to 20 new conversations a minute per account (429 with retry-after); getting an existing 1:1 is not counted.",
      ...signedIn,
      request: { body: jsonBody(CreateConversationSchema) },
      responses: {
        200: jsonContent(ConversationSchema, "The existing 1:1 with that person"),
        201: jsonContent(ConversationSchema, "The new conversation"),
        ...problems("unauthorized", "not_found", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => {
      const { conversation, created } = await chat.createConversation(
        c.var.platform,
        callerOf(c).userId,
        c.req.valid("json"),
      );
      return created ? c.json(conversation, 201) : c.json(conversation, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "Your conversations by last activity: the inbox, or message requests with ?folder=requests",
      ...signedIn,
      request: { query: ConversationListQuerySchema },
      responses: {
        200: jsonContent(ConversationPageSchema, "One page, most recent activity first"),
        ...problems("unauthorized", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) => c.json(await chat.listConversations(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      tags,
      summary: "One of your conversations",
      ...signedIn,
      request: { params: ConversationIdParamSchema },
      responses: { 200: jsonContent(ConversationSchema, "The conversation"), ...problems("unauthorized", "not_found") },
    }),
    async (c) => c.json(await chat.getConversation(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/accept",
      tags,
      summary: "Accept a message request: the conversation moves to your inbox",
      ...signedIn,
      request: { params: ConversationIdParamSchema, body: noBody },
      responses: {
        200: jsonContent(ConversationSchema, "The conversation, now in the inbox"),
        ...problems("unauthorized", "not_found", "validation_failed"),
      },
    }),
    async (c) =>
      c.json(await chat.acceptConversation(c.var.platform, callerOf(c).userId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/leave",
      tags,
      summary: "Leave a group: its messages stop reaching you and your open sockets on it close",
      ...signedIn,
      request: { params: ConversationIdParamSchema, body: noBody },
      responses: {
        204: { description: "Left" },
        ...problems("unauthorized", "not_found", "conflict", "validation_failed", "unavailable"),
      },
    }),
    async (c) => {
      await chat.leaveConversation(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/messages",
      tags,
      summary: "Message history, newest first",
      ...signedIn,
      request: { params: ConversationIdParamSchema, query: PageQuerySchema },
      responses: {
        200: jsonContent(MessagePageSchema, "One page, newest first"),
        ...problems("unauthorized", "not_found", "validation_failed", "invalid_cursor", "unavailable"),
      },
    }),
    async (c) =>
      c.json(
        await chat.listMessages(c.var.platform, callerOf(c).userId, c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/messages",
      tags,
      summary: "Send a message over HTTP (for clients without a socket); a repeated client_id is stored once",
      ...signedIn,
      request: { params: ConversationIdParamSchema, body: jsonBody(SendMessageSchema) },
      responses: {
        201: {
          ...jsonContent(MessageSchema, "The message (also when this client_id was already sent)"),
          headers: responseHeaders.idempotentReplayed,
        },
        ...problems("unauthorized", "not_found", "conflict", "validation_failed", "rate_limited", "unavailable"),
      },
    }),
    async (c) => {
      const { message, duplicate } = await chat.sendMessage(
        c.var.platform,
        callerOf(c).userId,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      if (duplicate) c.header("idempotent-replayed", "true");
      return c.json(message, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/read",
      tags,
      summary: "Mark the conversation read up to a message (members with a socket get a read receipt)",
      ...signedIn,
      request: { params: ConversationIdParamSchema, body: jsonBody(MarkReadSchema) },
      responses: {
        204: { description: "Marked" },
        ...problems("unauthorized", "not_found", "validation_failed", "unavailable"),
      },
    }),
    async (c) => {
      await chat.markRead(c.var.platform, callerOf(c).userId, c.req.valid("param").id, c.req.valid("json").message_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/ws",
      tags,
      summary:
        "Open the conversation's WebSocket with a ticket for `conversation:{id}`. Frames are JSON: send " +
        '`{type:"message", body, client_id}`, `{type:"typing"}`, `{type:"read", message_id}`; receive ' +
        "`ready`, `message`, `typing`, `read` and `error` frames. `?since=` replays missed messages.",
      request: { params: ConversationIdParamSchema, query: RoomSocketQuerySchema },
      responses: upgrade,
      "x-websocket": {
        client_frames: { oneOf: [frame("ChatClientFrame"), frame("SocketPing")] },
        server_frames: { oneOf: [frame("ChatServerFrame"), frame("SocketPong")] },
      },
    }),
    async (c) => chat.openRoomSocket(c.var.platform, c.req.raw, c.req.valid("param").id, c.req.valid("query")),
  );

export const realtimeRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/tickets",
      tags,
      summary: "A one-use ticket, valid 60 seconds, to open one WebSocket on `user` or `conversation:{id}`",
      description: "Limited to 60 tickets a minute per account (429 with retry-after).",
      ...signedIn,
      request: { body: jsonBody(TicketRequestSchema) },
      responses: {
        201: jsonContent(TicketSchema, "The ticket"),
        ...problems("unauthorized", "not_found", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => c.json(await chat.issueTicket(c.var.platform, callerOf(c).userId, c.req.valid("json").scope), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "Open your own event socket with a `user` ticket: new messages in any of your conversations",
      request: { query: TicketQuerySchema },
      responses: upgrade,
      "x-websocket": {
        client_frames: frame("SocketPing"),
        server_frames: { oneOf: [frame("HubEvent"), frame("SocketPong")] },
      },
    }),
    async (c) => chat.openHubSocket(c.var.platform, c.req.raw, c.req.valid("query")),
  );

// The WebSocket frame protocols are not request or response bodies, so no route names them:
// registered here, they become the components the socket routes' `x-websocket` points at.
realtimeRoutes.openAPIRegistry.register("ChatClientFrame", ClientFrameSchema);
realtimeRoutes.openAPIRegistry.register("ChatServerFrame", ServerFrameSchema);
realtimeRoutes.openAPIRegistry.register("HubEvent", HubEventSchema);
realtimeRoutes.openAPIRegistry.register("SocketPing", PingFrameSchema);
realtimeRoutes.openAPIRegistry.register("SocketPong", PongFrameSchema);
