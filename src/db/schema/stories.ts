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
    author_id: text("author_id").notNull(),
    media_id: text("media_id").notNull(),
    audience: text("audience", { enum: ["followers", "close_friends"] }).notNull(),
    caption: text("caption").notNull().default(""),
    /** The image described for people who cannot see it ("" when the author gave none). */
    alt_text: text("alt_text").notNull().default(""),
    /** Distinct viewers, changed in the same batch as the view row (exact under repeats). */
    view_count: integer("view_count").notNull().default(0),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
    deleted_at: text("deleted_at"),
    /** Hidden by moderation (as posts.hidden_at). */
    hidden_at: text("hidden_at"),
    hidden_reason: text("hidden_reason"),
  },
  (t) => [
    index("stories_author_idx").on(t.author_id, t.id),
    index("stories_author_expires_idx").on(t.author_id, t.expires_at),
    uniqueIndex("stories_media_uq").on(t.media_id),
  ],
);

export const storyViews = sqliteTable(
  "story_views",
  {
    story_id: text("story_id").notNull(),
    viewer_id: text("viewer_id").notNull(),
    /** Time-sortable, the viewers list's keyset. */
    id: text("id").notNull(),
    viewed_at: text("viewed_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.story_id, t.viewer_id] }),
    index("story_views_story_idx").on(t.story_id, t.id),
    // An account's purge finds the views it left on others' stories (docs/accounts.md).
    index("story_views_viewer_idx").on(t.viewer_id),
  ],
);

export const highlights = sqliteTable(
  "highlights",
  {
    id: text("id").primaryKey(),
    owner_id: text("owner_id").notNull(),
    title: text("title").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [index("highlights_owner_idx").on(t.owner_id, t.id)],
);

export const highlightStories = sqliteTable(
  "highlight_stories",
  {
    highlight_id: text("highlight_id").notNull(),
    position: integer("position").notNull(),
    story_id: text("story_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.highlight_id, t.position] }), index("highlight_stories_story_idx").on(t.story_id)],
);
