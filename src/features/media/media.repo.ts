import { and, count, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import { type MediaRow, media } from "../../db/schema";
import type { Db } from "../../platform/db";
import type { Outbox } from "../../platform/outbox";

export function insertMedia(db: Db, row: typeof media.$inferInsert) {
  return db.insert(media).values(row);
}

export function findMedia(db: Db, id: string): Promise<MediaRow | undefined> {
  return db.query.media.findFirst({ where: eq(media.id, id) });
}

export async function countRecentUploads(db: Db, ownerId: string, since: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(media)
    .where(and(eq(media.owner_id, ownerId), gte(media.created_at, since)));
  return row?.n ?? 0;
}

/** Moves a media row from one of the `from` statuses; false when it was in none (a race or a repeat). */
export async function transition(
  db: Db,
  id: string,
  from: MediaRow["status"][],
  changes: Partial<typeof media.$inferInsert> & { status: MediaRow["status"]; updated_at: string },
): Promise<boolean> {
  const rows = await db
    .update(media)
    .set(changes)
    .where(and(eq(media.id, id), inArray(media.status, from)))
    .returning({ id: media.id });
  return rows.length > 0;
}

/** For the caller's batch: marks media `failed` if it is still in one of the `from` statuses. */
export function refuseStatement(
  db: Db,
  id: string,
  from: MediaRow["status"][],
  changes: Partial<typeof media.$inferInsert> & { updated_at: string },
) {
  return db
    .update(media)
    .set({ ...changes, status: "failed" })
    .where(and(eq(media.id, id), inArray(media.status, from)));
}

/**
 * `transition` to `processing` and the processing job in one batch: the job row is stored only if
 * this call's update moved the media (it finds the row in `processing` with this call's stamp), so
 * of concurrent completes exactly one queues the job, and a failing queue cannot lose it.
 */
export async function startProcessing(
  db: Db,
  outbox: Outbox,
  id: string,
  from: MediaRow["status"][],
  changes: Partial<typeof media.$inferInsert> & { updated_at: string },
): Promise<{ moved: boolean; jobIds: string[] }> {
  const staged = outbox.stage(
    [{ type: "media.process", media_id: id }],
    sql`EXISTS (SELECT 1 FROM ${media} WHERE ${media.id} = ${id} AND ${media.status} = 'processing' AND ${media.updated_at} = ${changes.updated_at})`,
  );
  const [moved] = await db.batch([
    db
      .update(media)
      .set({ ...changes, status: "processing" })
      .where(and(eq(media.id, id), inArray(media.status, from))),
    staged.statement,
  ]);
  return moved?.meta.changes === 1 ? { moved: true, jobIds: staged.ids } : { moved: false, jobIds: [] };
}

export function orphansBefore(db: Db, cutoff: string, limit: number): Promise<MediaRow[]> {
  return db.query.media.findMany({
    where: and(isNull(media.attached_at), lt(media.created_at, cutoff)),
    limit,
  });
}

/** Deletes rows that are still unattached (a post may have claimed one since it was listed). */
export async function deleteUnattached(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .delete(media)
    .where(and(inArray(media.id, ids), isNull(media.attached_at)))
    .returning({ id: media.id });
  return rows.map((r) => r.id);
}

/**
 * Claims a ready image of `ownerId` for use (avatar, post): sets `attached_at` so the orphan sweep
 * leaves it alone. False when the id is not a ready image of that owner.
 */
export async function attachMedia(db: Db, ownerId: string, id: string, now: string): Promise<boolean> {
  const rows = await db
    .update(media)
    .set({ attached_at: now })
    .where(and(eq(media.id, id), eq(media.owner_id, ownerId), eq(media.status, "ready")))
    .returning({ id: media.id });
  return rows.length > 0;
}
