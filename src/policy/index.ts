import type { Db } from "../platform/db";
import type { Relation } from "./rules";

export * from "./rules";

/**
 * Loads the facts the rules need for one (viewer, owner) pair. Always read from D1, the source of
 * truth: never from a cache that could be a minute stale.
 */
export async function loadRelation(
  db: Db,
  viewerId: string | null,
  owner: { id: string; isPrivate: boolean },
): Promise<Relation> {
  const known = {
    self: false,
    signedIn: viewerId !== null,
    ownerPrivate: owner.isPrivate,
    following: false,
    closeFriend: false,
    blocked: false,
  };
  if (viewerId === null) return known;
  if (viewerId === owner.id) return { ...known, self: true };
  return (await loadRelations(db, viewerId, [owner.id])).get(owner.id) ?? known;
}

interface RelationsRow {
  owner_id: string;
  owner_private: number;
  following: number;
  close_friend: number;
  blocked: number;
}

/** `loadRelation` for many owners at once (lists, feeds): one D1 round trip. */
export async function loadRelations(
  db: Db,
  viewerId: string | null,
  ownerIds: string[],
): Promise<Map<string, Relation>> {
  const out = new Map<string, Relation>();
  if (ownerIds.length === 0) return out;
  const { results } = await db.$client
    .prepare(
      `SELECT u.id AS owner_id, u.is_private AS owner_private,
         EXISTS (SELECT 1 FROM follows WHERE follower_id = ?1 AND followee_id = u.id) AS following,
         EXISTS (SELECT 1 FROM close_friends WHERE user_id = u.id AND friend_id = ?1) AS close_friend,
         EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = u.id)
                                         OR (blocker_id = u.id AND blocked_id = ?1)) AS blocked
       FROM users u WHERE u.id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(viewerId ?? "", JSON.stringify([...new Set(ownerIds)]))
    .all<RelationsRow>();
  for (const row of results) {
    const self = viewerId !== null && viewerId === row.owner_id;
    const signedIn = viewerId !== null;
    out.set(row.owner_id, {
      self,
      signedIn,
      ownerPrivate: row.owner_private === 1,
      following: signedIn && !self && row.following === 1,
      closeFriend: signedIn && !self && row.close_friend === 1,
      blocked: signedIn && !self && row.blocked === 1,
    });
  }
  return out;
}
