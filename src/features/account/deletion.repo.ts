import { and, eq, gt, isNotNull, isNull } from "drizzle-orm";
import { authEvents, pushSubscriptions, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import { newId } from "../../platform/ids";
import { revokeFamiliesStatement } from "./account.repo";

/**
 * One batch: the account is marked deleted (every read hides it from then on), every refresh
 * family is revoked (its access tokens are refused on their next request), and its push
 * subscriptions go (its devices get nothing more, even within the grace period; a restored
 * account's app subscribes again), with an auth event.
 */
export async function markDeleted(db: Db, userId: string, now: string): Promise<void> {
  await db.batch([
    db
      .update(users)
      .set({ deleted_at: now, updated_at: now })
      .where(and(eq(users.id, userId), isNull(users.deleted_at))),
    revokeFamiliesStatement(db, { userId, now }),
    db.delete(pushSubscriptions).where(eq(pushSubscriptions.user_id, userId)),
    db.insert(authEvents).values({ id: newId(), user_id: userId, kind: "deletion_requested", created_at: now }),
  ]);
}

/** Clears the deletion if it was asked for after `cutoff` (the grace period is not over); the row, or undefined. */
export async function clearDeletion(db: Db, userId: string, cutoff: string, now: string) {
  const row = await db
    .update(users)
    .set({ deleted_at: null, purge_touched_at: null, updated_at: now })
    .where(and(eq(users.id, userId), isNotNull(users.deleted_at), gt(users.deleted_at, cutoff)))
    .returning()
    .get();
  if (row) {
    await db.insert(authEvents).values({ id: newId(), user_id: userId, kind: "deletion_cancelled", created_at: now });
  }
  return row;
}
