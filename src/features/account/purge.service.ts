import { sql } from "drizzle-orm";
import type { Platform } from "../../platform";
import { PURGE_STEPS, type PurgeStep } from "../../platform/jobs";
import { deleteComment } from "../posts/engagement.repo";
import { softDeletePost } from "../posts/posts.repo";
import { purgePost } from "../posts/posts.service";
import { graceCutoff } from "./deletion.service";
import {
  claimPurgeStatement,
  commentsOf,
  deleteAccountRow,
  duePurges,
  leaveConversation,
  leftovers,
  membershipsOf,
  openExportUploads,
  postsOf,
  purgeExportRows,
  purgeFollows,
  purgeGraph,
  purgeLikes,
  purgeMediaRows,
  purgeNotifications,
  purgeSaves,
  purgeSessions,
  purgeStories,
  touchPurge,
} from "./purge.repo";

export type PurgeDeps = Pick<
  Platform,
  "db" | "clock" | "config" | "jobs" | "outbox" | "store" | "realtime" | "timelines"
>;

/** A purge whose last step is older than this is taken to be lost, and the cron starts it again. */
const STALE_MS = 6 * 3_600_000;
/** Posts one `posts` step erases (each is ~20 D1 statements: under D1's 1,000 per invocation). */
const POSTS_PER_STEP = 25;
/** Comments one `comments` step erases (each one batch of ~6 statements). */
const COMMENTS_PER_STEP = 50;
/** Conversations one `chat` step leaves (each one ChatRoom RPC and one batch). */
const CONVERSATIONS_PER_STEP = 20;

/**
 * The hourly cron: queues the purge of every account whose grace period is over and whose purge
 * is not running (docs/accounts.md). The stamp and the job are one batch (outbox), so a purge is
 * queued once per stale period however often the cron runs.
 */
export async function queueDuePurges(deps: Pick<Platform, "db" | "clock" | "config" | "outbox">): Promise<number> {
  const now = deps.clock.now();
  const cutoff = graceCutoff(now, deps.config.accountDeletionGraceDays);
  const staleBefore = new Date(now.getTime() - STALE_MS).toISOString();
  const due = await duePurges(deps.db, cutoff, staleBefore, 100);
  for (const { id } of due) {
    // The job is stored only if this run's claim took (a concurrent run claimed it first: its job).
    const staged = deps.outbox.stage(
      [{ type: "account.purge", user_id: id, step: PURGE_STEPS[0] }],
      sql`(SELECT changes() > 0)`,
    );
    await deps.db.batch([claimPurgeStatement(deps.db, id, cutoff, staleBefore, now.toISOString()), staged.statement]);
    await deps.outbox.deliver(staged.ids);
  }
  return due.length;
}

/**
 * One delivery of an `account.purge` job: one bounded chunk of `step`, then the job queues what
 * comes next itself: the same step while a chunk found something to erase, the next one once a
 * chunk found nothing. Every chunk is idempotent (see purge.repo.ts), and the next job is sent
 * only after the chunk committed, so a crash or a redelivery just runs a chunk again.
 *
 * The order: content first (posts with their children and images, then comments, likes and saves
 * on others' posts, whose counters move with them), then relations (follows with both counters,
 * lists, blocks, mutes), stories, notifications, chat, the remaining media and exports in R2, and
 * sessions; `finish` checks that nothing refers to the account any more (a race with the deletion
 * may have added a row after its step ran: then that step runs again) and only then deletes the
 * users row, which frees the username. Until that last statement the account stays deleted, so
 * it is hidden everywhere throughout.
 */
export async function purgeAccountStep(deps: PurgeDeps, userId: string, step: PurgeStep): Promise<void> {
  const now = deps.clock.now();
  const cutoff = graceCutoff(now, deps.config.accountDeletionGraceDays);
  // Restored, or already erased (a redelivered `finish`): nothing to do.
  if (!(await touchPurge(deps.db, userId, cutoff, now.toISOString()))) return;
  if (step === "finish") {
    const left = (await leftovers(deps.db, userId)) ?? ((await deps.timelines.holds(userId)) ? "sessions" : null);
    if (left !== null) return next(deps, userId, left);
    await deleteAccountRow(deps.db, userId, cutoff);
    return;
  }
  const more = await runChunk(deps, userId, step, now.toISOString());
  const following = PURGE_STEPS[PURGE_STEPS.indexOf(step) + 1] ?? "finish";
  return next(deps, userId, more ? step : following);
}

async function next(deps: Pick<Platform, "jobs">, userId: string, step: PurgeStep): Promise<void> {
  await deps.jobs.send({ type: "account.purge", user_id: userId, step });
}

/** One chunk of `step`; answers whether it erased anything (then the step runs again). */
async function runChunk(deps: PurgeDeps, userId: string, step: Exclude<PurgeStep, "finish">, now: string) {
  const { db } = deps;
  switch (step) {
    case "posts": {
      // The post purge (docs/architecture.md, "Post create"): counters, hashtags and
      // notifications with the soft delete, then children, images in R2, and the row.
      const rows = await postsOf(db, userId, POSTS_PER_STEP);
      for (const post of rows) {
        if (post.deleted_at === null) await softDeletePost(db, { id: post.id, authorId: userId, now }, deps.outbox);
        await purgePost(deps, post.id);
      }
      return rows.length > 0;
    }
    case "comments": {
      // Each with its replies; the post's comment_count and the parent's reply_count move exactly.
      const rows = await commentsOf(db, userId, COMMENTS_PER_STEP);
      for (const c of rows) await deleteComment(db, c);
      return rows.length > 0;
    }
    case "likes":
      return purgeLikes(db, userId);
    case "saves":
      return purgeSaves(db, userId);
    case "follows":
      return purgeFollows(db, userId);
    case "graph":
      return purgeGraph(db, userId);
    case "stories":
      return purgeStories(db, userId);
    case "notifications":
      return purgeNotifications(db, userId);
    case "chat": {
      // The room first: a retry after the D1 batch failed redacts again, harmlessly.
      const ids = await membershipsOf(db, userId, CONVERSATIONS_PER_STEP);
      for (const id of ids) {
        await deps.realtime.room(id).redactSender(id, userId);
        await leaveConversation(db, id, userId);
      }
      return ids.length > 0;
    }
    case "media": {
      if (await purgeMediaRows(db, userId)) return true;
      // No row is left: the objects go, every derivative with them (media/{owner}/{id}/…).
      await deps.store.deletePrefix(`media/${userId}/`);
      return false;
    }
    case "exports": {
      for (const open of await openExportUploads(db, userId)) {
        if (open.uploadId) await deps.store.abortMultipart(open.key, open.uploadId).catch(() => undefined);
      }
      if (await purgeExportRows(db, userId)) return true;
      await deps.store.deletePrefix(`exports/${userId}/`);
      return false;
    }
    case "sessions":
      if (await purgeSessions(db, userId)) return true;
      // Its timeline lives in its partition, not D1 (docs/scale.md, "Timelines").
      await deps.timelines.drop(userId);
      return false;
  }
}
