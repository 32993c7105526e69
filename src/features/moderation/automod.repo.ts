import { and, eq, sql } from "drizzle-orm";
import { moderationChecks, type SubjectType } from "../../db/schema";
import { columnNames, type Db } from "../../platform/db";

export type CheckRow = typeof moderationChecks.$inferSelect;

const c = moderationChecks;
const checkIs = (type: SubjectType, id: string, hash: string) =>
  and(eq(c.subject_type, type), eq(c.subject_id, id), eq(c.content_hash, hash));

/**
 * Claims the check of one version of a subject for this delivery: a new row, or a pending one whose
 * claim was released or is older than `staleBefore` (a delivery that died). Answers whether this
 * delivery holds it; a done or failed check, or one another delivery holds, is not taken.
 */
export async function claimCheck(
  db: Db,
  k: { type: SubjectType; id: string; hash: string },
  now: string,
  staleBefore: string,
): Promise<boolean> {
  const rows = await db.all<{ subject_id: string }>(
    sql`INSERT INTO ${c} (${columnNames(c.subject_type, c.subject_id, c.content_hash, c.status, c.claimed_at, c.created_at, c.updated_at)})
        VALUES (${k.type}, ${k.id}, ${k.hash}, 'pending', ${now}, ${now}, ${now})
        ON CONFLICT (${columnNames(c.subject_type, c.subject_id, c.content_hash)}) DO UPDATE SET
          ${columnNames(c.claimed_at)} = excluded.${columnNames(c.claimed_at)},
          ${columnNames(c.updated_at)} = excluded.${columnNames(c.updated_at)}
        WHERE ${c.status} = 'pending' AND (${c.claimed_at} IS NULL OR ${c.claimed_at} < ${staleBefore})
        RETURNING ${c.subject_id}`,
  );
  return rows.length > 0;
}

export async function findCheck(db: Db, type: SubjectType, id: string, hash: string): Promise<CheckRow | undefined> {
  return db
    .select()
    .from(c)
    .where(checkIs(type, id, hash))
    .get();
}

/** Lets the next delivery take the check at once (after a retryable provider error), noting why. */
export async function releaseCheck(db: Db, type: SubjectType, id: string, hash: string, error: string, now: string) {
  await db
    .update(c)
    .set({ claimed_at: null, error, updated_at: now })
    .where(and(checkIs(type, id, hash), eq(c.status, "pending")));
}

/** The statement that records a check's verdict, for the batch that applies it. */
export function finishCheckStatement(
  db: Db,
  k: { type: SubjectType; id: string; hash: string },
  done: { verdict: "ok" | "flag" | "hide"; result: string; now: string },
) {
  return db
    .update(c)
    .set({
      status: "done",
      verdict: done.verdict,
      result: done.result,
      error: null,
      claimed_at: null,
      updated_at: done.now,
    })
    .where(and(checkIs(k.type, k.id, k.hash), eq(c.status, "pending")));
}

export async function failCheck(db: Db, type: SubjectType, id: string, hash: string, error: string, now: string) {
  await db
    .update(c)
    .set({ status: "failed", error, claimed_at: null, updated_at: now })
    .where(and(checkIs(type, id, hash), eq(c.status, "pending")));
}

/** The dead-letter verdict: every pending check of the subject failed, keeping the last error. */
export async function failPendingChecks(db: Db, type: SubjectType, id: string, reason: string, now: string) {
  await db
    .update(c)
    .set({
      status: "failed",
      error: sql`${reason} || COALESCE(' Last error: ' || ${c.error}, '')`,
      claimed_at: null,
      updated_at: now,
    })
    .where(and(eq(c.subject_type, type), eq(c.subject_id, id), eq(c.status, "pending")));
}
