import { and, desc, eq, ne, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { pushSubscriptions } from "../../db/schema";
import type { Db } from "../../platform/db";

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;

/** The value an upsert proposed for a column (SQLite's `excluded.<column>`). */
const excluded = (column: AnySQLiteColumn): SQL => sql`excluded.${sql.identifier(column.name)}`;

export interface NewSubscription {
  id: string;
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  now: string;
  /** How many subscriptions a user keeps: the oldest beyond it are dropped. */
  max: number;
}

/**
 * One batch: who held the endpoint before, the upsert, and the trim to `max` per user.
 * The endpoint is unique. Held by the same user, the row keeps its id and takes the new keys; held
 * by another account (a browser now signed in as someone else), it becomes a new subscription with
 * a new id, so a push job queued for the previous account names an id that no longer exists and
 * never reaches this browser.
 */
export async function upsertSubscription(
  db: Db,
  n: NewSubscription,
): Promise<{ row: PushSubscriptionRow; previousOwner: string | null }> {
  const s = pushSubscriptions;
  const sameOwner = sql`${s.user_id} = ${excluded(s.user_id)}`;
  const keep = (column: AnySQLiteColumn) => sql`CASE WHEN ${sameOwner} THEN ${column} ELSE ${excluded(column)} END`;
  const [before, upserted] = await db.batch([
    db.select({ user_id: s.user_id }).from(s).where(eq(s.endpoint, n.endpoint)),
    db
      .insert(s)
      .values({ id: n.id, user_id: n.userId, endpoint: n.endpoint, p256dh: n.p256dh, auth: n.auth, created_at: n.now })
      .onConflictDoUpdate({
        target: s.endpoint,
        set: {
          id: keep(s.id),
          created_at: keep(s.created_at),
          last_success_at: sql`CASE WHEN ${sameOwner} THEN ${s.last_success_at} ELSE NULL END`,
          user_id: excluded(s.user_id),
          p256dh: excluded(s.p256dh),
          auth: excluded(s.auth),
        },
      })
      .returning(),
    // This endpoint and the user's `max - 1` newest others stay.
    db.delete(s).where(
      and(
        eq(s.user_id, n.userId),
        ne(s.endpoint, n.endpoint),
        sql`${s.id} NOT IN (SELECT ${s.id} FROM ${s} WHERE ${s.user_id} = ${n.userId} AND ${s.endpoint} <> ${n.endpoint}
             ORDER BY ${s.id} DESC LIMIT ${n.max - 1})`,
      ),
    ),
  ]);
  const row = upserted[0];
  if (!row) throw new Error("push subscription upsert returned no row");
  return { row, previousOwner: before[0]?.user_id ?? null };
}

/** Deletes the user's own subscription at this endpoint; answers whether there was one. */
export async function deleteOwnSubscription(db: Db, userId: string, endpoint: string): Promise<boolean> {
  const deleted = await db
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.user_id, userId), eq(pushSubscriptions.endpoint, endpoint)))
    .returning({ id: pushSubscriptions.id });
  return deleted.length > 0;
}

export async function findSubscription(db: Db, id: string): Promise<PushSubscriptionRow | null> {
  return (await db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, id)).get()) ?? null;
}

export async function markDelivered(db: Db, id: string, now: string): Promise<void> {
  await db.update(pushSubscriptions).set({ last_success_at: now }).where(eq(pushSubscriptions.id, id));
}

export async function deleteSubscription(db: Db, id: string): Promise<void> {
  await db.delete(pushSubscriptions).where(eq(pushSubscriptions.id, id));
}

/** A user's subscription ids, newest first (at most the per-user maximum). */
export async function subscriptionIds(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: pushSubscriptions.id })
    .from(pushSubscriptions)
    .where(eq(pushSubscriptions.user_id, userId))
    .orderBy(desc(pushSubscriptions.id));
  return rows.map((r) => r.id);
}
