import { sql } from "drizzle-orm";
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
    /** `user`, `moderator` or `admin`; set only by scripts/admin.mjs, never through the API. */
    role: text("role", { enum: ["user", "moderator", "admin"] })
      .notNull()
      .default("user"),
    /**
     * Set while the account is suspended (docs/moderation.md): its tokens are refused, its profile
     * and content answer 404 to others. `suspended_until` null = until lifted; the minute cron
     * lifts a temporary suspension once it has passed.
     */
    suspended_at: text("suspended_at"),
    suspended_until: text("suspended_until"),
    suspension_reason: text("suspension_reason"),
    /** When the account's current email was proven (a verification link); null = unverified. */
    email_verified_at: text("email_verified_at"),
    /**
     * Set when the owner asked for the account's deletion (docs/accounts.md): from then on it is
     * gone for everyone exactly as a suspended account is (the policy's account rule), its tokens
     * only reach `GET /v1/me` and `POST /v1/me/restore`, and once the grace period
     * (ACCOUNT_DELETION_GRACE_DAYS) has passed the hourly cron queues its purge.
     */
    deleted_at: text("deleted_at"),
    /**
     * When the purge of a deleted account last made progress (each step stamps it). The hourly cron
     * queues a purge for an account whose grace period is over and whose stamp is unset or stale,
     * so one chain runs at a time and a chain lost to the dead-letter queue is started again.
     */
    purge_touched_at: text("purge_touched_at"),
    /** Staff hid the bio (a `hide` on the account): others see an empty bio. */
    bio_hidden_at: text("bio_hidden_at"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("users_username_uq").on(t.username),
    uniqueIndex("users_email_uq").on(t.email),
    // The feed finds the few accounts above the fan-out threshold through this, not by scanning follows.
    index("users_followers_count_idx").on(t.followers_count),
    // The minute cron finds suspensions that have ended without scanning the accounts.
    index("users_suspended_until_idx").on(t.suspended_until).where(sql`suspended_at IS NOT NULL`),
    // The hourly cron finds deletions whose grace period has passed without scanning the accounts.
    index("users_deleted_at_idx").on(t.deleted_at).where(sql`deleted_at IS NOT NULL`),
  ],
);

export type UserRow = typeof users.$inferSelect;
