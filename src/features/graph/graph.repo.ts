import { type Db, legacyIdBefore } from "../../platform/db";
import { legacyBlockedEitherWaySql, legacyCloseFriendSql, legacyFollowsSql, legacyMutesSql } from "../../policy";

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

type Stmt = D1PreparedStatement;

const NOT_BLOCKED = `NOT ${legacyBlockedEitherWaySql("?1", "?2")}`;

/** A follows B (edge id and time given): insert and count, unless blocked either way. */
function insertFollow(d1: D1Database, a: string, b: string, edgeId: string, now: string): Stmt[] {
  return [
    d1
      .prepare(
        `INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at)
         SELECT ?1, ?2, ?3, ?4 WHERE ${NOT_BLOCKED}`,
      )
      .bind(a, b, edgeId, now),
    d1
      .prepare(
        `UPDATE users SET following_count = following_count + 1
         WHERE id = ?1 AND EXISTS (SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = ?2 AND id = ?3)`,
      )
      .bind(a, b, edgeId),
    d1
      .prepare(
        `UPDATE users SET followers_count = followers_count + 1
         WHERE id = ?2 AND EXISTS (SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = ?2 AND id = ?3)`,
      )
      .bind(a, b, edgeId),
  ];
}

/** A no longer follows B: uncount (only if the edge exists), then delete. */
function deleteFollow(d1: D1Database, a: string, b: string): Stmt[] {
  const exists = legacyFollowsSql("?1", "?2");
  return [
    d1.prepare(`UPDATE users SET following_count = following_count - 1 WHERE id = ?1 AND ${exists}`).bind(a, b),
    d1.prepare(`UPDATE users SET followers_count = followers_count - 1 WHERE id = ?2 AND ${exists}`).bind(a, b),
    d1.prepare("DELETE FROM follows WHERE follower_id = ?1 AND followee_id = ?2").bind(a, b),
  ];
}

export async function follow(db: Db, args: { followerId: string; followeeId: string; edgeId: string; now: string }) {
  const d1 = db.$client;
  await d1.batch([
    ...insertFollow(d1, args.followerId, args.followeeId, args.edgeId, args.now),
    d1
      .prepare("DELETE FROM follow_requests WHERE requester_id = ?1 AND target_id = ?2")
      .bind(args.followerId, args.followeeId),
  ]);
}

export async function requestFollow(db: Db, args: { requesterId: string; targetId: string; id: string; now: string }) {
  const d1 = db.$client;
  await d1
    .prepare(
      `INSERT OR IGNORE INTO follow_requests (requester_id, target_id, id, created_at)
       SELECT ?1, ?2, ?3, ?4 WHERE ${NOT_BLOCKED}
         AND NOT ${legacyFollowsSql("?1", "?2")}`,
    )
    .bind(args.requesterId, args.targetId, args.id, args.now)
    .run();
}

/** Unfollow, also withdrawing a pending request. */
export async function unfollow(db: Db, followerId: string, followeeId: string) {
  const d1 = db.$client;
  await d1.batch([
    ...deleteFollow(d1, followerId, followeeId),
    d1.prepare("DELETE FROM follow_requests WHERE requester_id = ?1 AND target_id = ?2").bind(followerId, followeeId),
  ]);
}

/**
 * Turns pending requests to `targetId` into follows: one requester's, or all of them (when the
 * account goes public). The follow edge keeps the request's id, which is how the counter updates
 * recognise the edges this batch created.
 */
export async function approveRequests(db: Db, args: { targetId: string; requesterId?: string; now: string }) {
  const d1 = db.$client;
  const requester = args.requesterId ?? null;
  const mine = "r.target_id = ?1 AND (?2 IS NULL OR r.requester_id = ?2)";
  const created = `SELECT r.requester_id FROM follow_requests r JOIN follows f ON f.id = r.id WHERE ${mine}`;
  const results = await d1.batch([
    d1
      .prepare(
        `INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at)
         SELECT r.requester_id, r.target_id, r.id, ?3 FROM follow_requests r
         WHERE ${mine}
           AND NOT ${legacyBlockedEitherWaySql("r.requester_id", "r.target_id")}`,
      )
      .bind(args.targetId, requester, args.now),
    d1
      .prepare(`UPDATE users SET following_count = following_count + 1 WHERE id IN (${created})`)
      .bind(args.targetId, requester),
    d1
      .prepare(`UPDATE users SET followers_count = followers_count + (SELECT COUNT(*) FROM (${created})) WHERE id = ?1`)
      .bind(args.targetId, requester),
    d1
      .prepare("DELETE FROM follow_requests WHERE target_id = ?1 AND (?2 IS NULL OR requester_id = ?2)")
      .bind(args.targetId, requester),
  ]);
  return results[3]?.meta.changes ?? 0;
}

export async function denyRequest(db: Db, targetId: string, requesterId: string): Promise<boolean> {
  const result = await db.$client
    .prepare("DELETE FROM follow_requests WHERE target_id = ?1 AND requester_id = ?2")
    .bind(targetId, requesterId)
    .run();
  return result.meta.changes > 0;
}

/** Blocks: severs follows and requests both ways, and close-friend entries both ways. */
export async function block(db: Db, args: { blockerId: string; blockedId: string; id: string; now: string }) {
  const d1 = db.$client;
  const { blockerId: a, blockedId: b } = args;
  const bothWays = (table: string, x: string, y: string) =>
    d1.prepare(`DELETE FROM ${table} WHERE (${x} = ?1 AND ${y} = ?2) OR (${x} = ?2 AND ${y} = ?1)`).bind(a, b);
  await d1.batch([
    d1
      .prepare("INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, id, created_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(a, b, args.id, args.now),
    ...deleteFollow(d1, a, b),
    ...deleteFollow(d1, b, a),
    bothWays("follow_requests", "requester_id", "target_id"),
    bothWays("close_friends", "user_id", "friend_id"),
  ]);
}

export async function unblock(db: Db, blockerId: string, blockedId: string) {
  await db.$client
    .prepare("DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2")
    .bind(blockerId, blockedId)
    .run();
}

/** Adds a list entry (mutes, close friends) unless it exists or a block stands between them. */
export async function addListEntry(
  db: Db,
  list: "mutes" | "close_friends",
  args: { ownerId: string; otherId: string; id: string; now: string },
) {
  const [ownerCol, otherCol] = list === "mutes" ? ["muter_id", "muted_id"] : ["user_id", "friend_id"];
  await db.$client
    .prepare(
      `INSERT OR IGNORE INTO ${list} (${ownerCol}, ${otherCol}, id, created_at)
       SELECT ?1, ?2, ?3, ?4 WHERE ${NOT_BLOCKED}`,
    )
    .bind(args.ownerId, args.otherId, args.id, args.now)
    .run();
}

export async function removeListEntry(db: Db, list: "mutes" | "close_friends", ownerId: string, otherId: string) {
  const [ownerCol, otherCol] = list === "mutes" ? ["muter_id", "muted_id"] : ["user_id", "friend_id"];
  await db.$client
    .prepare(`DELETE FROM ${list} WHERE ${ownerCol} = ?1 AND ${otherCol} = ?2`)
    .bind(ownerId, otherId)
    .run();
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
  const row = await db.$client
    .prepare(
      `SELECT
         ${legacyFollowsSql("?1", "?2")} AS following,
         ${legacyFollowsSql("?2", "?1")} AS followed_by,
         EXISTS (SELECT 1 FROM follow_requests WHERE requester_id = ?1 AND target_id = ?2) AS requested,
         EXISTS (SELECT 1 FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2) AS blocking,
         ${legacyMutesSql("?1", "?2")} AS muting,
         ${legacyCloseFriendSql("?1", "?2")} AS close_friend`,
    )
    .bind(viewerId, otherId)
    .first<Record<keyof RelationshipFlags, number>>();
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
 * SQL: true unless a block stands, either way, between the viewer bound at `viewerParam` and the
 * account in `userColumn`; a NULL viewer (anonymous, or a list that must not filter) passes all.
 */
export function noBlockWith(viewerParam: string, userColumn: string): string {
  return `(${viewerParam} IS NULL OR NOT ${legacyBlockedEitherWaySql(viewerParam, userColumn)})`;
}

export interface UserSummaryRow {
  edge_id: string;
  id: string;
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
}

export type UserListKind = "followers" | "following" | "follow_requests" | "close_friends" | "blocks";

/** For each list: the edge table, the column naming the list's owner, and the one naming each member. */
const LISTS: Record<UserListKind, { table: string; owner: string; member: string }> = {
  followers: { table: "follows", owner: "followee_id", member: "follower_id" },
  following: { table: "follows", owner: "follower_id", member: "followee_id" },
  follow_requests: { table: "follow_requests", owner: "target_id", member: "requester_id" },
  close_friends: { table: "close_friends", owner: "user_id", member: "friend_id" },
  blocks: { table: "blocks", owner: "blocker_id", member: "blocked_id" },
};

/**
 * One page of a user list, newest edge first, keyset-paged on the edge id. Members the viewer
 * has a block with (either way) are left out, except on the viewer's own block list.
 */
export async function listUsers(
  db: Db,
  args: { kind: UserListKind; ownerId: string; viewerId: string | null; before: string | null; limit: number },
): Promise<UserSummaryRow[]> {
  const { table, owner, member } = LISTS[args.kind];
  const hideBlockedFor = args.kind === "blocks" ? null : args.viewerId;
  const { results } = await db.$client
    .prepare(
      `SELECT e.id AS edge_id, u.id, u.username, u.display_name, u.avatar_media_id, u.is_private
       FROM ${table} e JOIN users u ON u.id = e.${member}
       WHERE e.${owner} = ?1 AND ${legacyIdBefore("e.id", "?2")}
         AND ${noBlockWith("?4", "u.id")}
       ORDER BY e.id DESC LIMIT ?3`,
    )
    .bind(args.ownerId, args.before, args.limit, hideBlockedFor)
    .all<UserSummaryRow>();
  return results;
}
