import type { Db } from "../platform/db";
import type { Relation } from "./rules";

export * from "./rules";

interface RelationRow {
  owner_private: number;
  following: number;
  close_friend: number;
  blocked: number;
}

/**
 * Loads the facts the rules need for one (viewer, owner) pair in one D1 round trip. Always read
 * from D1, the source of truth: never from a cache that could be a minute stale.
 */
export async function loadRelation(
  db: Db,
  viewerId: string | null,
  owner: { id: string; isPrivate: boolean },
): Promise<Relation> {
  if (viewerId === null) {
    return {
      self: false,
      signedIn: false,
      ownerPrivate: owner.isPrivate,
      following: false,
      closeFriend: false,
      blocked: false,
    };
  }
  if (viewerId === owner.id) {
    return {
      self: true,
      signedIn: true,
      ownerPrivate: owner.isPrivate,
      following: false,
      closeFriend: false,
      blocked: false,
    };
  }
  const row = await db.$client
    .prepare(
      `SELECT
         (SELECT is_private FROM users WHERE id = ?2) AS owner_private,
         EXISTS (SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = ?2) AS following,
         EXISTS (SELECT 1 FROM close_friends WHERE user_id = ?2 AND friend_id = ?1) AS close_friend,
         EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2)
                                         OR (blocker_id = ?2 AND blocked_id = ?1)) AS blocked`,
    )
    .bind(viewerId, owner.id)
    .first<RelationRow>();
  return {
    self: false,
    signedIn: true,
    ownerPrivate: row ? row.owner_private === 1 : owner.isPrivate,
    following: row?.following === 1,
    closeFriend: row?.close_friend === 1,
    blocked: row?.blocked === 1,
  };
}
