import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Home timelines built by fan-out on write: one row per (reader, post). The primary key makes a
 * redelivered fan-out message a no-op and serves the newest-first read (post ids sort by time).
 * Rows carry ids only; what a reader may see is decided again on every read.
 */
export const timeline = sqliteTable(
  "timeline",
  {
    user_id: text("user_id").notNull(),
    post_id: text("post_id").notNull(),
    author_id: text("author_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.user_id, t.post_id] }),
    // A deleted post leaves every timeline. (An unfollow's clean-up walks the reader's own rows
    // by the primary key, at most TIMELINE_CAP of them: cheaper than a third index that every
    // fan-out insert would have to maintain.)
    index("timeline_post_idx").on(t.post_id),
  ],
);

/**
 * A ranked feed is a snapshot: page 1 scores a window of candidates once and stores the order, and
 * later pages read it by position, so the order does not shift under the reader while likes move.
 * Kept in D1 (consistent) rather than KV (a minute of eventual consistency would lose it); the
 * hourly cron deletes snapshots older than an hour.
 */
export const feedSnapshots = sqliteTable(
  "feed_snapshots",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    post_ids: text("post_ids").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [index("feed_snapshots_created_idx").on(t.created_at)],
);
