import type { Db } from "../platform/db";
import type { Relation } from "./rules";
import { relationFactsSql } from "./sql";

export * from "./rules";
export * from "./sql";

/**
 * Loads the facts the rules need for one (viewer, owner) pair. Always read from D1, the source of
 * truth: never from a cache that could be a minute stale.
 */
export async function loadRelation(
  db: Db,
  viewerId: string | null,
  owner: { id: string; is_private: boolean },
): Promise<Relation> {
  const known = {
    self: false,
    signedIn: viewerId !== null,
    ownerPrivate: owner.is_private,
    following: false,
    closeFriend: false,
    blocked: false,
  };
  if (viewerId === null) return known;
  if (viewerId === owner.id) return { ...known, self: true };
  return (await loadRelations(db, viewerId, [owner.id])).get(owner.id) ?? known;
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
