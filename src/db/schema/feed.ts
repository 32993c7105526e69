// Home timelines are not in D1: they live in TimelinePartition Durable Objects
// (src/durable-objects/timeline-partition.ts; docs/scale.md, "Timelines").
import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
