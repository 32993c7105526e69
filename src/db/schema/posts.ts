import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Posts and engagement. Counters (`like_count`, `comment_count`, users.posts_count,
 * hashtags.post_count) change in the same D1 batch as the rows they count, guarded like the graph's
 * (see posts.repo.ts). A delete sets `deleted_at` at once (every read filters it) and queues the
 * clean-up of the post's children; no cascades.
 */
export const posts = sqliteTable(
  "posts",
  {
    id: text("id").primaryKey(),
    author_id: text("author_id").notNull(),
    caption: text("caption").notNull().default(""),
    location: text("location"),
    audience: text("audience", { enum: ["public", "followers", "close_friends"] }).notNull(),
    like_count: integer("like_count").notNull().default(0),
    comment_count: integer("comment_count").notNull().default(0),
    save_count: integer("save_count").notNull().default(0),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
    deleted_at: text("deleted_at"),
    /** Hidden by moderation: 404 to everyone but the author (who sees the reason) and staff. */
    hidden_at: text("hidden_at"),
    hidden_reason: text("hidden_reason"),
  },
  (t) => [index("posts_author_idx").on(t.author_id, t.id)],
);

export const postMedia = sqliteTable(
  "post_media",
  {
    post_id: text("post_id").notNull(),
    position: integer("position").notNull(),
    media_id: text("media_id").notNull(),
    alt_text: text("alt_text").notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.post_id, t.position] }), uniqueIndex("post_media_media_uq").on(t.media_id)],
);

export const hashtags = sqliteTable("hashtags", {
  tag: text("tag").primaryKey(),
  post_count: integer("post_count").notNull().default(0),
});

export const postHashtags = sqliteTable(
  "post_hashtags",
  { post_id: text("post_id").notNull(), tag: text("tag").notNull() },
  (t) => [primaryKey({ columns: [t.post_id, t.tag] }), index("post_hashtags_tag_idx").on(t.tag, t.post_id)],
);

export const postMentions = sqliteTable(
  "post_mentions",
  { post_id: text("post_id").notNull(), user_id: text("user_id").notNull() },
  (t) => [primaryKey({ columns: [t.post_id, t.user_id] }), index("post_mentions_user_idx").on(t.user_id, t.post_id)],
);

export const likes = sqliteTable(
  "likes",
  {
    post_id: text("post_id").notNull(),
    user_id: text("user_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.post_id, t.user_id] }),
    uniqueIndex("likes_id_uq").on(t.id),
    index("likes_post_idx").on(t.post_id, t.id),
    index("likes_user_idx").on(t.user_id, t.id),
  ],
);

export const comments = sqliteTable(
  "comments",
  {
    id: text("id").primaryKey(),
    post_id: text("post_id").notNull(),
    author_id: text("author_id").notNull(),
    /** The top-level comment this replies to; replies are one level deep. */
    parent_id: text("parent_id"),
    body: text("body").notNull(),
    reply_count: integer("reply_count").notNull().default(0),
    created_at: text("created_at").notNull(),
    /** Hidden by moderation (as posts.hidden_at). */
    hidden_at: text("hidden_at"),
    hidden_reason: text("hidden_reason"),
  },
  (t) => [
    index("comments_post_idx").on(t.post_id, t.parent_id, t.id),
    index("comments_parent_idx").on(t.parent_id, t.id),
    // An account's own comments, in order (its data export reads them in keyset pages).
    index("comments_author_idx").on(t.author_id, t.id),
  ],
);

export const saves = sqliteTable(
  "saves",
  {
    user_id: text("user_id").notNull(),
    post_id: text("post_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.user_id, t.post_id] }),
    index("saves_user_idx").on(t.user_id, t.id),
    index("saves_post_idx").on(t.post_id),
  ],
);

/** `Idempotency-Key` of a create: a retry with the same key returns the first result. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    user_id: text("user_id").notNull(),
    key: text("key").notNull(),
    scope: text("scope").notNull(),
    request_hash: text("request_hash").notNull(),
    resource_id: text("resource_id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.scope, t.key] })],
);
