import { failedJobs } from "../db/schema";
import { failMail, sendStoredMail } from "../features/account/mail.service";
import { purgeAccountStep } from "../features/account/purge.service";
import { failCaptionJob, generateCaptions } from "../features/captions/captions.service";
import { buildExport, failExport } from "../features/export/export.service";
import { fanout, unlink } from "../features/feed/feed.service";
import { failMedia, processMedia } from "../features/media/media.service";
import { checkContent, failModerationCheck } from "../features/moderation/automod.service";
import { notify, sendPush } from "../features/notifications/notifications.service";
import { purgePost } from "../features/posts/posts.service";
import { storyFanout } from "../features/stories/stories.service";
import { type Platform, platformFor } from "../platform";
import { newId } from "../platform/ids";
import { type Job, JobSchema, RetryLater, runsConcurrently } from "../platform/jobs";

/** Retry delay: 30 s doubling per attempt, capped at 12 hours (docs/security.md H4). */
export function backoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 43_200);
}

const isDeadLetterQueue = (queue: string) => queue.endsWith("-dlq");

async function run(job: Job, platform: Platform): Promise<void> {
  switch (job.type) {
    case "media.process":
      return processMedia(platform, job.media_id);
    case "post.purge":
      return purgePost(platform, job.post_id);
    case "feed.fanout":
      return fanout(platform, job.post_id, job.after, job.until);
    case "feed.unlink":
      return unlink(platform, job.user_id, job.author_id);
    case "story.fanout":
      return storyFanout(platform, job.story_id, job.after);
    case "notify":
      return notify(platform, job.event);
    case "push.send":
      return sendPush(platform, job.subscription_id, job.notification_id);
    case "caption.generate":
      return generateCaptions(platform, job.job_id);
    case "moderation.check":
      return checkContent(platform, job);
    case "export.build":
      return buildExport(platform, job.export_id);
    case "mail.send":
      return sendStoredMail(platform, job.mail_id);
    case "account.purge":
      return purgeAccountStep(platform, job.user_id, job.step);
  }
}

/** A job that will never succeed: mark what it was for as failed. */
async function giveUp(job: Job, platform: Platform, reason: string): Promise<void> {
  switch (job.type) {
    case "media.process":
      return failMedia(platform, job.media_id, reason);
    case "caption.generate":
      return failCaptionJob(platform, job.job_id, "The provider did not answer after several attempts.");
    case "moderation.check":
      return failModerationCheck(platform, job, "The provider did not answer after several attempts.");
    case "export.build":
      return failExport(platform, job.export_id);
    case "mail.send":
      return failMail(platform, job.mail_id);
    case "post.purge":
    case "account.purge":
    case "feed.fanout":
    case "feed.unlink":
    case "story.fanout":
    case "notify":
    case "push.send":
      // Nothing to mark: a hidden post stays hidden, and reads re-check visibility; a purge that
      // stops is started again by the hourly cron once its stamp is stale. The failed_jobs row
      // keeps the message for a replay.
      return;
  }
}

async function recordFailure(
  platform: Platform,
  queue: string,
  message: Message<unknown>,
  error: string,
): Promise<void> {
  const now = platform.clock.now();
  await platform.db.insert(failedJobs).values({
    id: newId(now.getTime()),
    queue,
    body: JSON.stringify(message.body ?? null).slice(0, 4000),
    error: error.slice(0, 1000),
    attempts: message.attempts,
    created_at: now.toISOString(),
  });
}

/**
 * Each message on its own: parse, dispatch by `type`, ack on success, retry with backoff on a
 * failure. A malformed body is recorded and acked (retrying cannot fix it). On a dead-letter queue
 * the job is given up: recorded, and its subject marked failed. Never throws out of the batch.
 * Messages run in order, except jobs that may run together (`runsConcurrently`: a post's fan-out
 * ranges), which run at once after the others.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // Jobs carry no origin: nothing they write contains a URL.
  const platform = platformFor(env);
  const dead = isDeadLetterQueue(batch.queue);
  const together: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const parsed = JobSchema.safeParse(message.body);
    if (!dead && parsed.success && runsConcurrently(parsed.data)) together.push(message);
    else await handleMessage(platform, batch.queue, message);
  }
  await Promise.all(together.map((message) => handleMessage(platform, batch.queue, message)));
}

async function handleMessage(platform: Platform, queue: string, message: Message<unknown>): Promise<void> {
  const parsed = JobSchema.safeParse(message.body);
  try {
    if (!parsed.success) {
      await recordFailure(platform, queue, message, `malformed: ${parsed.error.message}`);
    } else if (isDeadLetterQueue(queue)) {
      await recordFailure(platform, queue, message, "retries exhausted");
      await giveUp(parsed.data, platform, "processing failed after retries");
    } else {
      await run(parsed.data, platform);
    }
    message.ack();
  } catch (err) {
    console.error(
      JSON.stringify({
        level: "error",
        queue,
        message_id: message.id,
        attempts: message.attempts,
        error: String(err),
      }),
    );
    // A job may name its own delay (a provider's retry-after); otherwise the backoff.
    const delaySeconds = err instanceof RetryLater ? err.delaySeconds : backoffSeconds(message.attempts);
    message.retry({ delaySeconds: Math.min(Math.max(delaySeconds, 0), 43_200) });
  }
}
