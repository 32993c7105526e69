import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/*
 * Discovery (docs/search.md): followed hashtags, daily tag use for trends, the trends the cron
 * computes, what explore has shown each user, explore's snapshots, and dismissed suggestions.
 */

/** A user follows a hashtag (its posts weigh in explore). */
export const tagFollows = sqliteTable(
  "tag_follows",
  {
    user_id: text("user_id").notNull(),
    tag: text("tag").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.tag] }), index("tag_follows_tag_idx").on(t.tag)],
);

/** Posts that used a tag per UTC day, counted with the post's write (the trends' observations). */
export const tagDailyUses = sqliteTable(
  "tag_daily_uses",
  {
    tag: text("tag").notNull(),
    day: text("day").notNull(),
    uses: integer("uses").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tag, t.day] }), index("tag_daily_uses_day_idx").on(t.day)],
);

/** The trending tags as the cron last computed them (never a live scan). */
export const trendingTags = sqliteTable("trending_tags", {
  tag: text("tag").primaryKey(),
  rank: integer("rank").notNull(),
  score: real("score").notNull(),
  uses_today: integer("uses_today").notNull(),
  expected: real("expected").notNull(),
  computed_at: text("computed_at").notNull(),
});

/** Posts explore has shown a user, kept bounded by pruning (the seen filter). */
export const exploreSeen = sqliteTable(
  "explore_seen",
  {
    user_id: text("user_id").notNull(),
    post_id: text("post_id").notNull(),
    seen_at: text("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.post_id] }), index("explore_seen_user_idx").on(t.user_id, t.seen_at)],
);

/** An explore page 1 scored once and stored, read by position later (like the ranked feed's). */
export const exploreSnapshots = sqliteTable(
  "explore_snapshots",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    post_ids: text("post_ids").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [index("explore_snapshots_created_idx").on(t.created_at)],
);

/** An account a user dismissed from their suggestions. */
export const suggestionDismissals = sqliteTable(
  "suggestion_dismissals",
  {
    user_id: text("user_id").notNull(),
    dismissed_id: text("dismissed_id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.dismissed_id] })],
);
