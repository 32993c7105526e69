import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Home timelines built by fan-out on write: one row per (reader, post). The primary key makes a
 * redelivered fan-out message a no-op and serves the newest-first read (post ids sort by time).
 * Rows carry ids only; what a reader may see is decided again on every read.
 */
export const timeline = sqliteTable(
  "timeline",
  {
    userId: text("user_id").notNull(),
    postId: text("post_id").notNull(),
    authorId: text("author_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.postId] }),
    // Clean-ups: a deleted post leaves every timeline; an unfollow takes an author out of one.
    index("timeline_post_idx").on(t.postId),
    index("timeline_user_author_idx").on(t.userId, t.authorId),
  ],
);
