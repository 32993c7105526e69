import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * The social graph. Each edge has a composite primary key (one edge per ordered pair) and a
 * time-sortable `id`, which orders lists and serves as the keyset cursor. Counters on `users`
 * change in the same D1 batch as the edge, conditioned on this request's edge id, so they stay
 * exact under retries and concurrency (see graph.repo.ts). No foreign-key cascades: D1's table
 * rebuilds would fire them (docs/architecture.md, decisions); children are deleted explicitly.
 */

export const follows = sqliteTable(
  "follows",
  {
    follower_id: text("follower_id").notNull(),
    followee_id: text("followee_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.follower_id, t.followee_id] }),
    uniqueIndex("follows_id_uq").on(t.id),
    // "followers of X" pages and fan-out read this index; "following of X" reads the next.
    index("follows_followee_idx").on(t.followee_id, t.id),
    index("follows_follower_idx").on(t.follower_id, t.id),
  ],
);

export const followRequests = sqliteTable(
  "follow_requests",
  {
    requester_id: text("requester_id").notNull(),
    target_id: text("target_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.requester_id, t.target_id] }),
    uniqueIndex("follow_requests_id_uq").on(t.id),
    index("follow_requests_target_idx").on(t.target_id, t.id),
  ],
);

export const closeFriends = sqliteTable(
  "close_friends",
  {
    user_id: text("user_id").notNull(),
    friend_id: text("friend_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.user_id, t.friend_id] }),
    index("close_friends_user_idx").on(t.user_id, t.id),
    index("close_friends_friend_idx").on(t.friend_id),
  ],
);

export const blocks = sqliteTable(
  "blocks",
  {
    blocker_id: text("blocker_id").notNull(),
    blocked_id: text("blocked_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.blocker_id, t.blocked_id] }),
    index("blocks_blocker_idx").on(t.blocker_id, t.id),
    index("blocks_blocked_idx").on(t.blocked_id),
  ],
);

export const mutes = sqliteTable(
  "mutes",
  {
    muter_id: text("muter_id").notNull(),
    muted_id: text("muted_id").notNull(),
    id: text("id").notNull(),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.muter_id, t.muted_id] }), index("mutes_muter_idx").on(t.muter_id, t.id)],
);
