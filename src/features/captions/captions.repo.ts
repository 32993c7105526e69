import { and, desc, eq, sql } from "drizzle-orm";
import { captionJobs } from "../../db/schema";
import { columnNames, type Db } from "../../platform/db";
import type { Staged } from "../../platform/outbox";

export type CaptionJobRow = typeof captionJobs.$inferSelect;

export async function findJob(db: Db, id: string): Promise<CaptionJobRow | undefined> {
  return db.select().from(captionJobs).where(eq(captionJobs.id, id)).get();
}

export async function findJobByOptions(db: Db, mediaId: string, optionsKey: string) {
  return db
    .select()
    .from(captionJobs)
    .where(and(eq(captionJobs.media_id, mediaId), eq(captionJobs.options_key, optionsKey)))
    .get();
}

/** The image's current job: the one asked for last. */
export async function latestJob(db: Db, mediaId: string): Promise<CaptionJobRow | undefined> {
  return db
    .select()
    .from(captionJobs)
    .where(eq(captionJobs.media_id, mediaId))
    .orderBy(desc(captionJobs.requested_at))
    .limit(1)
    .get();
}

export async function touchRequested(db: Db, id: string, now: string): Promise<void> {
  await db.update(captionJobs).set({ requested_at: now }).where(eq(captionJobs.id, id));
}

export interface NewJob {
  id: string;
  mediaId: string;
  ownerId: string;
  optionsKey: string;
  tone: CaptionJobRow["tone"];
  language: string;
  hint: string;
  now: string;
  /** Jobs of the last 24 hours started before `dayAgo` do not count. */
  dayAgo: string;
  perDay: number;
  maxPending: number;
}

/**
 * Starts a job, or restarts a failed one with the same options, only while the owner is under
 * both limits (counted in the same statement, so concurrent requests cannot pass them together);
 * the job message is stored with it (outbox). Answers whether a job was started.
 */
export async function startJob(db: Db, j: NewJob, staged: Staged): Promise<boolean> {
  const c = captionJobs;
  const [result] = await db.batch([
    db.run(
      sql`INSERT INTO ${c} (${columnNames(c.id, c.media_id, c.owner_id, c.options_key, c.tone, c.language, c.hint, c.status, c.created_at, c.requested_at)})
          SELECT ${j.id}, ${j.mediaId}, ${j.ownerId}, ${j.optionsKey}, ${j.tone}, ${j.language}, ${j.hint}, 'pending', ${j.now}, ${j.now}
          WHERE (SELECT COUNT(*) FROM ${c} WHERE ${c.owner_id} = ${j.ownerId} AND ${c.status} = 'pending') < ${j.maxPending}
            AND (SELECT COUNT(*) FROM ${c} WHERE ${c.owner_id} = ${j.ownerId} AND ${c.created_at} > ${j.dayAgo}) < ${j.perDay}
          ON CONFLICT (${columnNames(c.media_id, c.options_key)}) DO UPDATE SET
            ${columnNames(c.status)} = 'pending', ${columnNames(c.error)} = NULL, ${columnNames(c.attempts)} = 0,
            ${columnNames(c.claimed_until)} = NULL, ${columnNames(c.created_at)} = excluded.${columnNames(c.created_at)},
            ${columnNames(c.requested_at)} = excluded.${columnNames(c.requested_at)}
          WHERE ${c.status} = 'failed' AND ${c.id} = ${j.id}`,
    ),
    staged.statement,
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** The owner's open jobs, and the creation times of the last 24 hours' jobs, oldest first. */
export async function usage(db: Db, ownerId: string, dayAgo: string) {
  const c = captionJobs;
  const row = await db.get<{ pending: number; today: number; oldest: string | null }>(
    sql`SELECT (SELECT COUNT(*) FROM ${c} WHERE ${c.owner_id} = ${ownerId} AND ${c.status} = 'pending') AS pending,
          (SELECT COUNT(*) FROM ${c} WHERE ${c.owner_id} = ${ownerId} AND ${c.created_at} > ${dayAgo}) AS today,
          (SELECT MIN(${c.created_at}) FROM ${c} WHERE ${c.owner_id} = ${ownerId} AND ${c.created_at} > ${dayAgo}) AS oldest`,
  );
  return { pending: row?.pending ?? 0, today: row?.today ?? 0, oldest: row?.oldest ?? null };
}

/**
 * Claims a pending job for one delivery until `until`, counting the attempt; answers the row, or
 * undefined when it is not pending or another delivery holds it.
 */
export async function claimJob(db: Db, id: string, now: string, until: string): Promise<CaptionJobRow | undefined> {
  const c = captionJobs;
  const [row] = await db
    .update(c)
    .set({ claimed_until: until, attempts: sql`${c.attempts} + 1` })
    .where(and(eq(c.id, id), eq(c.status, "pending"), sql`(${c.claimed_until} IS NULL OR ${c.claimed_until} < ${now})`))
    .returning();
  return row;
}

/** Lets another delivery take the job at once (after a retryable error), noting the error. */
export async function releaseJob(db: Db, id: string, error: string): Promise<void> {
  await db
    .update(captionJobs)
    .set({ claimed_until: null, error })
    .where(and(eq(captionJobs.id, id), eq(captionJobs.status, "pending")));
}

export async function finishJob(
  db: Db,
  id: string,
  done: {
    suggestions: string;
    altText: string;
    model: string;
    generatedAt: string;
    inputTokens: number | null;
    outputTokens: number | null;
  },
): Promise<boolean> {
  const rows = await db
    .update(captionJobs)
    .set({
      status: "ready",
      suggestions: done.suggestions,
      alt_text: done.altText,
      model: done.model,
      generated_at: done.generatedAt,
      input_tokens: done.inputTokens,
      output_tokens: done.outputTokens,
      error: null,
      claimed_until: null,
    })
    .where(and(eq(captionJobs.id, id), eq(captionJobs.status, "pending")))
    .returning({ id: captionJobs.id });
  return rows.length > 0;
}

export async function failJob(
  db: Db,
  id: string,
  error: string,
  usage: { model: string | null; inputTokens: number | null; outputTokens: number | null } | null,
): Promise<void> {
  await db
    .update(captionJobs)
    .set({
      status: "failed",
      error,
      claimed_until: null,
      ...(usage ? { model: usage.model, input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } : {}),
    })
    .where(and(eq(captionJobs.id, id), eq(captionJobs.status, "pending")));
}
