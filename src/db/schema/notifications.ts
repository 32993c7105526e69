import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The kinds a person can tune in their settings; the first seven come from the social features. */
export const TUNABLE_NOTIFICATION_TYPES = [
  "like",
  "comment",
  "reply",
  "mention",
  "follow",
  "follow_request",
  "follow_accepted",
  "live_started",
] as const;
/** Every kind of notification: `moderation` and `system` always arrive. */
export const NOTIFICATION_TYPES = [...TUNABLE_NOTIFICATION_TYPES, "moderation", "system"] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * One row per notification, written only by the `notify` queue consumer (docs/notifications.md).
 * `dedupe_key` is what makes a redelivered event, or a like → unlike → like inside one group,
 * write nothing twice: it is unique per recipient. `group_key` names the group the row belongs to
 * (`notification_groups`); `folder` is `filtered` for what the stranger policy set aside.
 * `delivered_at` is set once the row went out live and to push, so a retried message finishes a
 * delivery that failed after the write instead of losing it.
 */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    recipient_id: text("recipient_id").notNull(),
    type: text("type", { enum: NOTIFICATION_TYPES }).notNull(),
    actor_id: text("actor_id"),
    post_id: text("post_id"),
    comment_id: text("comment_id"),
    /** The live session a `live_started` notification is about. */
    live_id: text("live_id"),
    /** What a `system` or `moderation` notification says (staff-written, never user content). */
    text: text("text"),
    group_key: text("group_key").notNull(),
    folder: text("folder", { enum: ["main", "filtered"] }).notNull(),
    dedupe_key: text("dedupe_key").notNull(),
    created_at: text("created_at").notNull(),
    delivered_at: text("delivered_at"),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_uq").on(t.recipient_id, t.dedupe_key),
    // A group's most recent actors.
    index("notifications_group_idx").on(t.recipient_id, t.group_key, t.id),
    // Deleting a post or a comment removes its notifications; a block removes the pair's.
    index("notifications_post_idx").on(t.post_id).where(sql`post_id IS NOT NULL`),
    index("notifications_comment_idx").on(t.comment_id).where(sql`comment_id IS NOT NULL`),
    index("notifications_actor_idx").on(t.actor_id, t.recipient_id).where(sql`actor_id IS NOT NULL`),
  ],
);

/**
 * A recipient's groups, kept by the consumer in the batch that writes a notification, so a list
 * page is an index range (newest `latest_id` first) rather than a GROUP BY over every row.
 * `count` is the number of notifications in the group (one per actor for grouped types);
 * `prefix`/`bucket` let the consumer find the open group to join (Mastodon: hour buckets, a
 * group spans at most 12 hours).
 */
export const notificationGroups = sqliteTable(
  "notification_groups",
  {
    recipient_id: text("recipient_id").notNull(),
    group_key: text("group_key").notNull(),
    folder: text("folder", { enum: ["main", "filtered"] }).notNull(),
    type: text("type", { enum: NOTIFICATION_TYPES }).notNull(),
    prefix: text("prefix").notNull(),
    bucket: integer("bucket").notNull(),
    post_id: text("post_id"),
    comment_id: text("comment_id"),
    live_id: text("live_id"),
    count: integer("count").notNull(),
    latest_id: text("latest_id").notNull(),
    latest_at: text("latest_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recipient_id, t.group_key] }),
    index("notification_groups_list_idx").on(t.recipient_id, t.folder, t.latest_id),
    index("notification_groups_type_idx").on(t.recipient_id, t.folder, t.type, t.latest_id),
    index("notification_groups_open_idx").on(t.recipient_id, t.prefix, t.bucket),
    index("notification_groups_post_idx").on(t.post_id).where(sql`post_id IS NOT NULL`),
    index("notification_groups_comment_idx").on(t.comment_id).where(sql`comment_id IS NOT NULL`),
    // Retention trims by age across all recipients.
    index("notification_groups_latest_idx").on(t.latest_id),
    // Groups emptied by a removal are deleted right after it.
    index("notification_groups_empty_idx").on(t.count).where(sql`count <= 0`),
  ],
);

/** How far a user has read: groups whose `latest_id` is past it are unread. Moves forward only. */
export const notificationMarkers = sqliteTable("notification_markers", {
  user_id: text("user_id").primaryKey(),
  last_read_id: text("last_read_id").notNull(),
  updated_at: text("updated_at").notNull(),
});

/** Per-type choices and the stranger policy, as validated JSON (notifications.schema.ts). */
export const notificationSettings = sqliteTable("notification_settings", {
  user_id: text("user_id").primaryKey(),
  settings: text("settings").notNull(),
  updated_at: text("updated_at").notNull(),
});

/**
 * A browser's Web Push subscription (RFC 8030). The endpoint is unique: the same browser
 * subscribing for another account moves the subscription to that account.
 */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    endpoint: text("endpoint").notNull(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    created_at: text("created_at").notNull(),
    last_success_at: text("last_success_at"),
  },
  (t) => [
    uniqueIndex("push_subscriptions_endpoint_uq").on(t.endpoint),
    index("push_subscriptions_user_idx").on(t.user_id),
  ],
);
