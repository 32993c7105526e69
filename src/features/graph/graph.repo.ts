import { and, eq, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { alias } from "drizzle-orm/sqlite-core";
import { blocks, closeFriends, followRequests, follows, mutes, users } from "../../db/schema";
import { columnNames, type Db, idBefore } from "../../platform/db";
import type { Job } from "../../platform/jobs";
import type { Outbox, Staged } from "../../platform/outbox";
import { accountShownSql, blockedEitherWaySql, closeFriendSql, followsSql, mutesSql } from "../../policy";
import { betweenPair, removalStatements } from "../notifications/notifications.repo";
import { userSummaryJson } from "../users/user-summary";

/*
 * Graph writes are D1 batches (one transaction each, and D1 runs them one at a time). Counter
 * updates sit in the same batch as the edge change and are guarded so that they only move when
 * this batch really changed the edge:
 * - on insert, the counter UPDATE requires the edge row carrying *this request's* new id, which
 *   exists only if this INSERT OR IGNORE won;
 * - on delete, the counter UPDATEs run before the DELETE and require the edge to still exist.
 * So following twice, unfollowing twice or racing 50 follows leaves the counters equal to the
 * number of edges, with no COUNT(*) on any path.
 */

type Stmt = BatchItem<"sqlite">;

const notBlocked = (a: string, b: string): SQL => sql`NOT ${blockedEitherWaySql(a, b)}`;

/** The edge A -> B carrying this request's id: it exists only if this batch's insert won. */
const followEdgeWithId = (a: string, b: string, edgeId: string): SQL =>
  sql`EXISTS (SELECT 1 FROM ${follows} WHERE ${follows.follower_id} = ${a} AND ${follows.followee_id} = ${b} AND ${follows.id} = ${edgeId})`;

/** A follows B (edge id and time given): insert and count, unless blocked either way. */
function insertFollow(db: Db, a: string, b: string, edgeId: string, now: string): [Stmt, Stmt, Stmt] {
  const created = followEdgeWithId(a, b, edgeId);
  return [
    db.run(
      sql`INSERT OR IGNORE INTO ${follows} (${columnNames(follows.follower_id, follows.followee_id, follows.id, follows.created_at)})
          SELECT ${a}, ${b}, ${edgeId}, ${now} WHERE ${notBlocked(a, b)}`,
    ),
    db
      .update(users)
      .set({ following_count: sql`${users.following_count} + 1` })
      .where(and(eq(users.id, a), created)),
    db
      .update(users)
      .set({ followers_count: sql`${users.followers_count} + 1` })
      .where(and(eq(users.id, b), created)),
  ];
}

/** A no longer follows B: uncount (only if the edge exists), then delete. */
function deleteFollow(db: Db, a: string, b: string): [Stmt, Stmt, Stmt] {
  const exists = followsSql(a, b);
  return [
    db
      .update(users)
      .set({ following_count: sql`${users.following_count} - 1` })
      .where(and(eq(users.id, a), exists)),
    db
      .update(users)
      .set({ followers_count: sql`${users.followers_count} - 1` })
      .where(and(eq(users.id, b), exists)),
    db.delete(follows).where(and(eq(follows.follower_id, a), eq(follows.followee_id, b))),
  ];
}

/** Withdraws A's pending request to B (if any). */
const deleteRequest = (db: Db, requester: string, target: string) =>
  db
    .delete(followRequests)
    .where(and(eq(followRequests.requester_id, requester), eq(followRequests.target_id, target)));

/** Follows; `jobs` (the notify event) are stored only if this call created the edge. Answers their ids. */
export async function follow(
  db: Db,
  args: { followerId: string; followeeId: string; edgeId: string; now: string },
  outbox: Pick<Outbox, "stage">,
  jobs: Job[],
): Promise<string[]> {
  const staged = outbox.stage(jobs, followEdgeWithId(args.followerId, args.followeeId, args.edgeId));
  await db.batch([
    ...insertFollow(db, args.followerId, args.followeeId, args.edgeId, args.now),
    deleteRequest(db, args.followerId, args.followeeId),
    staged.statement,
  ]);
  return staged.ids;
}

/** Asks to follow; `jobs` are stored only if this call created the request. Answers their ids. */
export async function requestFollow(
  db: Db,
  args: { requesterId: string; targetId: string; id: string; now: string },
  outbox: Pick<Outbox, "stage">,
  jobs: Job[],
): Promise<string[]> {
  const { requesterId: a, targetId: b } = args;
  const staged = outbox.stage(
    jobs,
    sql`EXISTS (SELECT 1 FROM ${followRequests} WHERE ${followRequests.id} = ${args.id})`,
  );
  await db.batch([
    db.run(
      sql`INSERT OR IGNORE INTO ${followRequests} (${columnNames(followRequests.requester_id, followRequests.target_id, followRequests.id, followRequests.created_at)})
          SELECT ${a}, ${b}, ${args.id}, ${args.now} WHERE ${notBlocked(a, b)}
            AND NOT ${followsSql(a, b)}`,
    ),
    staged.statement,
  ]);
  return staged.ids;
}

/** Unfollow, also withdrawing a pending request. */
/** Ends a follow (or a pending request) and stores the jobs that tidy up after it, in one batch. */
export async function unfollow(db: Db, followerId: string, followeeId: string, jobs: Staged) {
  await db.batch([
    ...deleteFollow(db, followerId, followeeId),
    deleteRequest(db, followerId, followeeId),
    jobs.statement,
  ]);
}

/**
 * Turns pending requests to `targetId` into follows: one requester's, or all of them (when the
 * account goes public). The follow edge keeps the request's id, which is how the counter updates
 * recognise the edges this batch created.
 */
export async function approveRequests(
  db: Db,
  args: { targetId: string; requesterId?: string; now: string },
  accepted?: { outbox: Pick<Outbox, "stage">; jobs: Job[] },
): Promise<{ approved: number; jobIds: string[] }> {
  const requester = args.requesterId ?? null;
  const r = alias(followRequests, "r");
  const f = alias(follows, "f");
  const mine = sql`${r.target_id} = ${args.targetId} AND (${requester} IS NULL OR ${r.requester_id} = ${requester})`;
  const created = sql`SELECT ${r.requester_id} FROM ${followRequests} ${r} JOIN ${follows} ${f} ON ${f.id} = ${r.id} WHERE ${mine}`;
  // The "accepted" event, stored only if this batch turned the request into a follow.
  const staged = accepted?.outbox.stage(accepted.jobs, sql`EXISTS (${created})`);
  const results = await db.batch([
    db.run(
      sql`INSERT OR IGNORE INTO ${follows} (${columnNames(follows.follower_id, follows.followee_id, follows.id, follows.created_at)})
          SELECT ${r.requester_id}, ${r.target_id}, ${r.id}, ${args.now} FROM ${followRequests} ${r}
          WHERE ${mine}
            AND NOT ${blockedEitherWaySql(r.requester_id, r.target_id)}`,
    ),
    db
      .update(users)
      .set({ following_count: sql`${users.following_count} + 1` })
      .where(sql`${users.id} IN (${created})`),
    db
      .update(users)
      .set({ followers_count: sql`${users.followers_count} + (SELECT COUNT(*) FROM (${created}))` })
      .where(eq(users.id, args.targetId)),
    ...(staged ? [staged.statement] : []),
    db
      .delete(followRequests)
      .where(
        and(
          eq(followRequests.target_id, args.targetId),
          sql`(${requester} IS NULL OR ${followRequests.requester_id} = ${requester})`,
        ),
      ),
  ]);
  return { approved: results[results.length - 1]?.meta.changes ?? 0, jobIds: staged?.ids ?? [] };
}

export async function denyRequest(db: Db, targetId: string, requesterId: string): Promise<boolean> {
  const result = await deleteRequest(db, requesterId, targetId);
  return result.meta.changes > 0;
}

/** Blocks: severs follows and requests both ways, close-friend entries both ways, and notifications between them. */
export async function block(db: Db, args: { blockerId: string; blockedId: string; id: string; now: string }) {
  const { blockerId: a, blockedId: b } = args;
  const bothWays = (x: SQLWrapper, y: SQLWrapper) =>
    sql`(${x} = ${a} AND ${y} = ${b}) OR (${x} = ${b} AND ${y} = ${a})`;
  await db.batch([
    db.insert(blocks).values({ blocker_id: a, blocked_id: b, id: args.id, created_at: args.now }).onConflictDoNothing(),
    ...deleteFollow(db, a, b),
    ...deleteFollow(db, b, a),
    db.delete(followRequests).where(bothWays(followRequests.requester_id, followRequests.target_id)),
    db.delete(closeFriends).where(bothWays(closeFriends.user_id, closeFriends.friend_id)),
    // What either caused the other to be notified of goes too (Mastodon does the same).
    ...removalStatements(db, betweenPair(a, b)),
  ]);
}

export async function unblock(db: Db, blockerId: string, blockedId: string) {
  await db.delete(blocks).where(and(eq(blocks.blocker_id, blockerId), eq(blocks.blocked_id, blockedId)));
}

/** For each owner-kept list: the table, the column naming the owner, and the one naming the other account. */
const ENTRY_LISTS = {
  mutes: { table: mutes, owner: mutes.muter_id, other: mutes.muted_id, id: mutes.id, createdAt: mutes.created_at },
  close_friends: {
    table: closeFriends,
    owner: closeFriends.user_id,
    other: closeFriends.friend_id,
    id: closeFriends.id,
    createdAt: closeFriends.created_at,
  },
};

/** Adds a list entry (mutes, close friends) unless it exists or a block stands between them. */
export async function addListEntry(
  db: Db,
  list: "mutes" | "close_friends",
  args: { ownerId: string; otherId: string; id: string; now: string },
) {
  const { table, owner, other, id, createdAt } = ENTRY_LISTS[list];
  await db.run(
    sql`INSERT OR IGNORE INTO ${table} (${columnNames(owner, other, id, createdAt)})
        SELECT ${args.ownerId}, ${args.otherId}, ${args.id}, ${args.now} WHERE ${notBlocked(args.ownerId, args.otherId)}`,
  );
}

export async function removeListEntry(db: Db, list: "mutes" | "close_friends", ownerId: string, otherId: string) {
  const { table, owner, other } = ENTRY_LISTS[list];
  await db.run(sql`DELETE FROM ${table} WHERE ${owner} = ${ownerId} AND ${other} = ${otherId}`);
}

export interface RelationshipFlags {
  following: boolean;
  followed_by: boolean;
  requested: boolean;
  blocking: boolean;
  muting: boolean;
  close_friend: boolean;
}

/** The viewer's relationship to another account, in one round trip. */
export async function relationshipFlags(db: Db, viewerId: string, otherId: string): Promise<RelationshipFlags> {
  const row = await db.get<Record<keyof RelationshipFlags, number> | undefined>(
    sql`SELECT
          ${followsSql(viewerId, otherId)} AS following,
          ${followsSql(otherId, viewerId)} AS followed_by,
          EXISTS (SELECT 1 FROM ${followRequests} WHERE ${followRequests.requester_id} = ${viewerId} AND ${followRequests.target_id} = ${otherId}) AS requested,
          EXISTS (SELECT 1 FROM ${blocks} WHERE ${blocks.blocker_id} = ${viewerId} AND ${blocks.blocked_id} = ${otherId}) AS blocking,
          ${mutesSql(viewerId, otherId)} AS muting,
          ${closeFriendSql(viewerId, otherId)} AS close_friend`,
  );
  return {
    following: row?.following === 1,
    followed_by: row?.followed_by === 1,
    requested: row?.requested === 1,
    blocking: row?.blocking === 1,
    muting: row?.muting === 1,
    close_friend: row?.close_friend === 1,
  };
}

/**
 * SQL: true unless a block stands, either way, between the viewer and the account in `user`; a
 * null viewer (anonymous, or a list that must not filter) passes all.
 */
export function noBlockWith(viewerId: string | null, user: SQLWrapper): SQL {
  return sql`(${viewerId} IS NULL OR NOT ${blockedEitherWaySql(viewerId ?? "", user)})`;
}

/** An account as lists read it (`userSummaryJson`), beside the id of the edge that pages the list. */
export interface UserListRow {
  edge_id: string;
  user: string;
}

export type UserListKind = "followers" | "following" | "follow_requests" | "close_friends" | "blocks" | "mutes";

/* Each list's edge table is read under the alias `e`. */
const eFollows = alias(follows, "e");
const eRequests = alias(followRequests, "e");
const eCloseFriends = alias(closeFriends, "e");
const eBlocks = alias(blocks, "e");
const eMutes = alias(mutes, "e");

/** For each list: the edge table and its alias, the column naming the list's owner, and the one naming each member. */
const LISTS: Record<
  UserListKind,
  { table: SQLWrapper; e: SQLWrapper; id: SQLWrapper; owner: SQLWrapper; member: SQLWrapper }
> = {
  followers: {
    table: follows,
    e: eFollows,
    id: eFollows.id,
    owner: eFollows.followee_id,
    member: eFollows.follower_id,
  },
  following: {
    table: follows,
    e: eFollows,
    id: eFollows.id,
    owner: eFollows.follower_id,
    member: eFollows.followee_id,
  },
  follow_requests: {
    table: followRequests,
    e: eRequests,
    id: eRequests.id,
    owner: eRequests.target_id,
    member: eRequests.requester_id,
  },
  close_friends: {
    table: closeFriends,
    e: eCloseFriends,
    id: eCloseFriends.id,
    owner: eCloseFriends.user_id,
    member: eCloseFriends.friend_id,
  },
  blocks: { table: blocks, e: eBlocks, id: eBlocks.id, owner: eBlocks.blocker_id, member: eBlocks.blocked_id },
  mutes: { table: mutes, e: eMutes, id: eMutes.id, owner: eMutes.muter_id, member: eMutes.muted_id },
};

/**
 * One page of a user list, newest edge first, keyset-paged on the edge id. Members the viewer
 * has a block with (either way), and suspended accounts, are left out, except on the viewer's own
 * block list (where a block can still be lifted).
 */
export async function listUsers(
  db: Db,
  args: { kind: UserListKind; ownerId: string; viewerId: string | null; before: string | null; limit: number },
): Promise<UserListRow[]> {
  const { table, e, id, owner, member } = LISTS[args.kind];
  const hideBlockedFor = args.kind === "blocks" ? null : args.viewerId;
  const u = alias(users, "u");
  return db.all<UserListRow>(
    sql`SELECT ${id} AS edge_id, ${userSummaryJson(u)} AS user
        FROM ${table} ${e} JOIN ${users} ${u} ON ${u.id} = ${member}
        WHERE ${owner} = ${args.ownerId} AND ${idBefore(id, args.before)}
          AND ${noBlockWith(hideBlockedFor, u.id)}
          AND ${args.kind === "blocks" ? sql`1` : accountShownSql(args.viewerId ?? "", u)}
        ORDER BY ${id} DESC LIMIT ${args.limit}`,
  );
}
