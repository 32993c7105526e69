import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A live session (docs/live.md). Its comments live in its `LiveRoom` Durable Object; D1 holds what
 * lists and the policy need. `ingest` (the Stream input's credentials, for the host only) and
 * `playback` are JSON, null for a comments-only session. One open session per host.
 */
export const liveSessions = sqliteTable(
  "live_sessions",
  {
    id: text("id").primaryKey(),
    host_id: text("host_id").notNull(),
    title: text("title").notNull().default(""),
    audience: text("audience", { enum: ["public", "followers", "close_friends"] }).notNull(),
    status: text("status", { enum: ["created", "live", "ended"] }).notNull(),
    stream_input_uid: text("stream_input_uid"),
    ingest: text("ingest"),
    playback: text("playback"),
    viewer_count: integer("viewer_count").notNull().default(0),
    created_at: text("created_at").notNull(),
    started_at: text("started_at"),
    ended_at: text("ended_at"),
    /** When Stream last reported the input disconnected; cleared when it reconnects. */
    disconnected_at: text("disconnected_at"),
  },
  (t) => [
    uniqueIndex("live_sessions_open_uq").on(t.host_id).where(sql`status <> 'ended'`),
    index("live_sessions_live_idx").on(t.host_id).where(sql`status = 'live'`),
    uniqueIndex("live_sessions_input_uq").on(t.stream_input_uid).where(sql`stream_input_uid IS NOT NULL`),
  ],
);
