import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Messaging. The messages themselves live in each conversation's ChatRoom Durable Object (its own
 * SQLite); D1 keeps the cross-user index: who is in which conversation, which folder it sits in
 * for each member, and a summary of its last message for the inbox. The room writes that summary
 * back by alarm a moment after a burst of messages, not on every message (see chat-room.ts).
 */

export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["direct", "group"] }).notNull(),
    /** `smallerUserId:largerUserId` for a 1:1, so there is one per pair; null for groups. */
    directKey: text("direct_key"),
    title: text("title"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    /** The room's message sequence number as of its last flush. */
    lastSeq: integer("last_seq").notNull().default(0),
    lastMessageId: text("last_message_id"),
    lastMessageSenderId: text("last_message_sender_id"),
    lastMessageBody: text("last_message_body"),
    lastMessageAt: text("last_message_at"),
  },
  (t) => [uniqueIndex("conversations_direct_key_uq").on(t.directKey)],
);

export const conversationMembers = sqliteTable(
  "conversation_members",
  {
    conversationId: text("conversation_id").notNull(),
    userId: text("user_id").notNull(),
    /** `requests` until the member accepts a conversation started by someone they do not follow. */
    folder: text("folder", { enum: ["inbox", "requests"] }).notNull(),
    /**
     * The inbox sort key: the conversation's last message id (time-sortable), or the conversation
     * id before any message. Kept per member so one index serves each member's inbox pages.
     */
    activityId: text("activity_id").notNull(),
    lastReadSeq: integer("last_read_seq").notNull().default(0),
    joinedAt: text("joined_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.userId] }),
    index("conversation_members_inbox_idx").on(t.userId, t.folder, t.activityId),
  ],
);

/**
 * One-use tickets for opening a WebSocket: browsers cannot set an Authorization header on one,
 * and a bearer token in a URL ends up in logs. Only the SHA-256 of the ticket is stored; the
 * upgrade consumes it with one conditional UPDATE, so it works once (SECURITY B18).
 */
export const realtimeTickets = sqliteTable(
  "realtime_tickets",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id").notNull(),
    scope: text("scope").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [index("realtime_tickets_expires_idx").on(t.expiresAt)],
);
