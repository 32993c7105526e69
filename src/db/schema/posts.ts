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
    authorId: text("author_id").notNull(),
    caption: text("caption").notNull().default(""),
    location: text("location"),
    audience: text("audience", { enum: ["public", "followers", "close_friends"] }).notNull(),
    likeCount: integer("like_count").notNull().default(0),
    commentCount: integer("comment_count").notNull().default(0),
    saveCount: integer("save_count").notNull().default(0),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deletedAt: text("deleted_at"),
  },
  (t) => [index("posts_author_idx").on(t.authorId, t.id)],
);

export const postMedia = sqliteTable(
  "post_media",
  {
    postId: text("post_id").notNull(),
    position: integer("position").notNull(),
    mediaId: text("media_id").notNull(),
    altText: text("alt_text").notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.postId, t.position] }), uniqueIndex("post_media_media_uq").on(t.mediaId)],
);

export const hashtags = sqliteTable("hashtags", {
  tag: text("tag").primaryKey(),
  postCount: integer("post_count").notNull().default(0),
});

export const postHashtags = sqliteTable(
  "post_hashtags",
  { postId: text("post_id").notNull(), tag: text("tag").notNull() },
  (t) => [primaryKey({ columns: [t.postId, t.tag] }), index("post_hashtags_tag_idx").on(t.tag, t.postId)],
);

export const postMentions = sqliteTable(
  "post_mentions",
  { postId: text("post_id").notNull(), userId: text("user_id").notNull() },
  (t) => [primaryKey({ columns: [t.postId, t.userId] }), index("post_mentions_user_idx").on(t.userId, t.postId)],
);

export const likes = sqliteTable(
  "likes",
  {
    postId: text("post_id").notNull(),
    userId: text("user_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.postId, t.userId] }),
    uniqueIndex("likes_id_uq").on(t.id),
    index("likes_post_idx").on(t.postId, t.id),
    index("likes_user_idx").on(t.userId, t.id),
  ],
);

export const comments = sqliteTable(
  "comments",
  {
    id: text("id").primaryKey(),
    postId: text("post_id").notNull(),
    authorId: text("author_id").notNull(),
    /** The top-level comment this replies to; replies are one level deep. */
    parentId: text("parent_id"),
    body: text("body").notNull(),
    replyCount: integer("reply_count").notNull().default(0),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("comments_post_idx").on(t.postId, t.parentId, t.id), index("comments_parent_idx").on(t.parentId, t.id)],
);

export const saves = sqliteTable(
  "saves",
  {
    userId: text("user_id").notNull(),
    postId: text("post_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.postId] }),
    index("saves_user_idx").on(t.userId, t.id),
    index("saves_post_idx").on(t.postId),
  ],
);

/** `Idempotency-Key` of a create: a retry with the same key returns the first result. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    scope: text("scope").notNull(),
    requestHash: text("request_hash").notNull(),
    resourceId: text("resource_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] })],
);
