import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Messaging. The messages themselves live in each conversation's ChatRoom Durable Object (its own
 * SQLite); D1 keeps the cross-user index: who is in which conversation, which folder it sits in
 * for each member, and a summary of its last message for the inbox. The room writes that summary
 * back by alarm a moment after a burst of messages, not on every message (see
 * durable-objects/chat-room/inbox-flush.ts).
 */

export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["direct", "group"] }).notNull(),
    /** `smallerUserId:largerUserId` for a 1:1, so there is one per pair; null for groups. */
    direct_key: text("direct_key"),
    title: text("title"),
    created_by: text("created_by").notNull(),
    created_at: text("created_at").notNull(),
    /** The room's message sequence number as of its last flush. */
    last_seq: integer("last_seq").notNull().default(0),
    last_message_id: text("last_message_id"),
    last_message_sender_id: text("last_message_sender_id"),
    last_message_body: text("last_message_body"),
    last_message_at: text("last_message_at"),
  },
  (t) => [uniqueIndex("conversations_direct_key_uq").on(t.direct_key)],
);

export const conversationMembers = sqliteTable(
  "conversation_members",
  {
    conversation_id: text("conversation_id").notNull(),
    user_id: text("user_id").notNull(),
    /** `requests` until the member accepts a conversation started by someone they do not follow. */
    folder: text("folder", { enum: ["inbox", "requests"] }).notNull(),
    /**
     * The inbox sort key: the conversation's last message id (time-sortable), or the conversation
     * id before any message. Kept per member so one index serves each member's inbox pages.
     */
    activity_id: text("activity_id").notNull(),
    last_read_seq: integer("last_read_seq").notNull().default(0),
    joined_at: text("joined_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversation_id, t.user_id] }),
    index("conversation_members_inbox_idx").on(t.user_id, t.folder, t.activity_id),
  ],
);

/**
 * One-use tickets for opening a WebSocket: browsers cannot set an Authorization header on one,
 * and a bearer token in a URL ends up in logs. Only the SHA-256 of the ticket is stored; the
 * upgrade consumes it with one conditional UPDATE, so it works once (docs/security.md B18).
 */
export const realtimeTickets = sqliteTable(
  "realtime_tickets",
  {
    token_hash: text("token_hash").primaryKey(),
    user_id: text("user_id").notNull(),
    scope: text("scope").notNull(),
    expires_at: text("expires_at").notNull(),
    used_at: text("used_at"),
  },
  (t) => [index("realtime_tickets_expires_idx").on(t.expires_at)],
);
