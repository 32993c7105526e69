import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * An account. Counters are maintained in the same D1 batch as the change that moves them
 * (never `COUNT(*)` on a read path). `username` and `email` are stored normalised (lower case),
 * so the unique indexes make them unique case-insensitively.
 */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    email: text("email").notNull(),
    display_name: text("display_name").notNull().default(""),
    bio: text("bio").notNull().default(""),
    avatar_media_id: text("avatar_media_id"),
    is_private: integer("is_private", { mode: "boolean" }).notNull().default(false),
    password_hash: text("password_hash").notNull(),
    followers_count: integer("followers_count").notNull().default(0),
    following_count: integer("following_count").notNull().default(0),
    posts_count: integer("posts_count").notNull().default(0),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("users_username_uq").on(t.username),
    uniqueIndex("users_email_uq").on(t.email),
    // The feed finds the few accounts above the fan-out threshold through this, not by scanning follows.
    index("users_followers_count_idx").on(t.followers_count),
  ],
);

export type UserRow = typeof users.$inferSelect;
