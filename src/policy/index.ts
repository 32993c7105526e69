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

/** The facts about (viewer, owner) as SQL columns, for queries that read them beside other rows. */
export function relationFactsSql(viewerParam: string, ownerColumn: string, ownerPrivateColumn: string): string {
  return `${ownerPrivateColumn} AS owner_private,
    EXISTS (SELECT 1 FROM follows WHERE follower_id = ${viewerParam} AND followee_id = ${ownerColumn}) AS following,
    EXISTS (SELECT 1 FROM close_friends WHERE user_id = ${ownerColumn} AND friend_id = ${viewerParam}) AS close_friend,
    EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ${viewerParam} AND blocked_id = ${ownerColumn})
                                    OR (blocker_id = ${ownerColumn} AND blocked_id = ${viewerParam})) AS blocked`;
}

/**
 * The home feed's rule as an SQL predicate (the twin of feed.service's `allowed`, which applies
 * rules.ts to the facts above; a test checks the two agree case by case): the viewer's own posts,
 * or posts of an account the viewer follows, has not muted, and is not blocked by or blocking,
 * whose audience admits the viewer (close-friends posts need the owner's list). Following implies
 * access to a private account's content, so `public` and `followers` need nothing more.
 */
export function feedVisibleSql(viewerParam: string, post: string): string {
  return `(${post}.author_id = ${viewerParam} OR (
    EXISTS (SELECT 1 FROM follows WHERE follower_id = ${viewerParam} AND followee_id = ${post}.author_id)
    AND NOT EXISTS (SELECT 1 FROM mutes WHERE muter_id = ${viewerParam} AND muted_id = ${post}.author_id)
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE (blocker_id = ${viewerParam} AND blocked_id = ${post}.author_id)
                                         OR (blocker_id = ${post}.author_id AND blocked_id = ${viewerParam}))
    AND (${post}.audience <> 'close_friends'
         OR EXISTS (SELECT 1 FROM close_friends WHERE user_id = ${post}.author_id AND friend_id = ${viewerParam}))))`;
}

export interface RelationFacts {
  owner_private: number;
  following: number;
  close_friend: number;
  blocked: number;
}

export function relationFromFacts(viewerId: string | null, ownerId: string, facts: RelationFacts): Relation {
  const self = viewerId !== null && viewerId === ownerId;
  const signedIn = viewerId !== null;
  return {
    self,
    signedIn,
    ownerPrivate: facts.owner_private === 1,
    following: signedIn && !self && facts.following === 1,
    closeFriend: signedIn && !self && facts.close_friend === 1,
    blocked: signedIn && !self && facts.blocked === 1,
  };
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
      `SELECT u.id AS owner_id, ${relationFactsSql("?1", "u.id", "u.is_private")}
       FROM users u WHERE u.id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(viewerId ?? "", JSON.stringify([...new Set(ownerIds)]))
    .all<RelationFacts & { owner_id: string }>();
  for (const row of results) out.set(row.owner_id, relationFromFacts(viewerId, row.owner_id, row));
  return out;
}
