import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Stories: a D1 row each, visible until `expires_at`, kept afterwards in the author's archive (and
 * in highlights). Followers' StoryTray Durable Objects hold a copy of "who has something new"; D1
 * stays the truth, and every tray read re-checks the rows here.
 */
export const stories = sqliteTable(
  "stories",
  {
    id: text("id").primaryKey(),
    authorId: text("author_id").notNull(),
    mediaId: text("media_id").notNull(),
    audience: text("audience", { enum: ["followers", "close_friends"] }).notNull(),
    caption: text("caption").notNull().default(""),
    /** Distinct viewers, changed in the same batch as the view row (exact under repeats). */
    viewCount: integer("view_count").notNull().default(0),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    deletedAt: text("deleted_at"),
  },
  (t) => [
    index("stories_author_idx").on(t.authorId, t.id),
    index("stories_author_expires_idx").on(t.authorId, t.expiresAt),
    uniqueIndex("stories_media_uq").on(t.mediaId),
  ],
);

export const storyViews = sqliteTable(
  "story_views",
  {
    storyId: text("story_id").notNull(),
    viewerId: text("viewer_id").notNull(),
    /** Time-sortable, the viewers list's keyset. */
    id: text("id").notNull(),
    viewedAt: text("viewed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.storyId, t.viewerId] }), index("story_views_story_idx").on(t.storyId, t.id)],
);

export const highlights = sqliteTable(
  "highlights",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    title: text("title").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("highlights_owner_idx").on(t.ownerId, t.id)],
);

export const highlightStories = sqliteTable(
  "highlight_stories",
  {
    highlightId: text("highlight_id").notNull(),
    position: integer("position").notNull(),
    storyId: text("story_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.highlightId, t.position] }), index("highlight_stories_story_idx").on(t.storyId)],
);
