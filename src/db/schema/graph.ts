import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * The social graph. Each edge has a composite primary key (one edge per ordered pair) and a
 * time-sortable `id`, which orders lists and serves as the keyset cursor. Counters on `users`
 * change in the same D1 batch as the edge, conditioned on this request's edge id, so they stay
 * exact under retries and concurrency (see graph.repo.ts). No foreign-key cascades: D1's table
 * rebuilds would fire them (DESIGN.md); children are deleted explicitly.
 */

export const follows = sqliteTable(
  "follows",
  {
    followerId: text("follower_id").notNull(),
    followeeId: text("followee_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.followeeId] }),
    uniqueIndex("follows_id_uq").on(t.id),
    // "followers of X" pages and fan-out read this index; "following of X" reads the next.
    index("follows_followee_idx").on(t.followeeId, t.id),
    index("follows_follower_idx").on(t.followerId, t.id),
  ],
);

export const followRequests = sqliteTable(
  "follow_requests",
  {
    requesterId: text("requester_id").notNull(),
    targetId: text("target_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.requesterId, t.targetId] }),
    uniqueIndex("follow_requests_id_uq").on(t.id),
    index("follow_requests_target_idx").on(t.targetId, t.id),
  ],
);

export const closeFriends = sqliteTable(
  "close_friends",
  {
    userId: text("user_id").notNull(),
    friendId: text("friend_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.friendId] }),
    index("close_friends_user_idx").on(t.userId, t.id),
    index("close_friends_friend_idx").on(t.friendId),
  ],
);

export const blocks = sqliteTable(
  "blocks",
  {
    blockerId: text("blocker_id").notNull(),
    blockedId: text("blocked_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.blockerId, t.blockedId] }),
    index("blocks_blocker_idx").on(t.blockerId, t.id),
    index("blocks_blocked_idx").on(t.blockedId),
  ],
);

export const mutes = sqliteTable(
  "mutes",
  {
    muterId: text("muter_id").notNull(),
    mutedId: text("muted_id").notNull(),
    id: text("id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.muterId, t.mutedId] }), index("mutes_muter_idx").on(t.muterId, t.id)],
);
