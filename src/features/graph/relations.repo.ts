import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { users } from "../../db/schema";
import { type Db, inList } from "../../platform/db";
import { type Relation, type RelationFacts, relationFactsSql, relationFromFacts } from "../../policy";

/*
 * The loaders of the facts the visibility rules decide from. Always read from D1, the source of
 * truth: never from a cache that could be a minute stale.
 */

/** The account is gone for everyone else: suspended, or deleted by its owner (docs/accounts.md). */
export const accountGone = (owner: { suspended_at: string | null; deleted_at: string | null }): boolean =>
  owner.suspended_at !== null || owner.deleted_at !== null;

/** The facts for one (viewer, owner) pair. */
export async function loadRelation(
  db: Db,
  viewerId: string | null,
  owner: { id: string; is_private: boolean; suspended_at: string | null; deleted_at: string | null },
): Promise<Relation> {
  const known = {
    self: false,
    signedIn: viewerId !== null,
    ownerPrivate: owner.is_private,
    following: false,
    closeFriend: false,
    blocked: false,
    ownerSuspended: accountGone(owner),
  };
  if (viewerId === null) return known;
  if (viewerId === owner.id) return { ...known, self: true };
  return (await loadRelations(db, viewerId, [owner.id])).get(owner.id) ?? known;
}

/** `loadRelation` for many owners at once (lists, feeds): one D1 round trip. */
export async function loadRelations(
  db: Db,
  viewerId: string | null,
  ownerIds: string[],
): Promise<Map<string, Relation>> {
  const out = new Map<string, Relation>();
  if (ownerIds.length === 0) return out;
  const u = alias(users, "u");
  const rows = await db.all<RelationFacts & { owner_id: string }>(
    sql`SELECT ${u.id} AS owner_id, ${relationFactsSql(viewerId ?? "", u.id, u.is_private, u)}
        FROM ${users} ${u} WHERE ${u.id} IN ${inList([...new Set(ownerIds)])}`,
  );
  for (const row of rows) out.set(row.owner_id, relationFromFacts(viewerId, row.owner_id, row));
  return out;
}
