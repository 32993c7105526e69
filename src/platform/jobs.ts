import { z } from "@hono/zod-openapi";
import type { AppConfig } from "./config";

const Id = z.string().min(1).max(64);
/** When the fact happened (the write's clock), ISO 8601. */
const At = z.string().min(20).max(40);

/**
 * What happened, for the `notify` consumer, recorded in the same batch as the fact (outbox). It
 * names the fact, not the recipients: the consumer reads who is told from D1 when it runs
 * (a comment tells the post's author, the replied-to author and whoever it mentions).
 */
export const NotifyEventSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("like"), actor_id: Id, post_id: Id, at: At }),
  z.strictObject({ kind: z.literal("comment"), actor_id: Id, comment_id: Id, at: At }),
  // A caption written or edited: whoever it mentions.
  z.strictObject({ kind: z.literal("post"), actor_id: Id, post_id: Id, at: At }),
  z.strictObject({
    kind: z.enum(["follow", "follow_request", "follow_accepted"]),
    actor_id: Id,
    recipient_id: Id,
    at: At,
  }),
  // A live session went live: its host's followers, one chunk of follow edges after `after` (null:
  // from the first); the consumer queues the next chunk itself (docs/notifications.md).
  z.strictObject({
    kind: z.literal("live"),
    actor_id: Id,
    session_id: Id,
    after: Id.nullable(),
    at: At,
  }),
  // For features that address one person directly (live, moderation, system messages).
  z.strictObject({
    kind: z.literal("direct"),
    type: z.enum(["live_started", "moderation", "system"]),
    recipient_id: Id,
    actor_id: Id.nullable(),
    post_id: Id.nullable(),
    /** Unique per notification at its source: a redelivery writes nothing twice. */
    source_id: Id,
    text: z.string().max(280).nullable(),
    at: At,
  }),
]);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

/**
 * The steps of an account's purge, in the order they run (docs/accounts.md, "The purge"). Each
 * delivery does one bounded chunk of one step and queues what comes next.
 */
export const PURGE_STEPS = [
  "posts",
  "comments",
  "likes",
  "saves",
  "follows",
  "graph",
  "stories",
  "notifications",
  "chat",
  "media",
  "exports",
  "sessions",
  "finish",
] as const;
export type PurgeStep = (typeof PURGE_STEPS)[number];

/**
 * Queue messages: ids only (never secrets, user URLs or blobs), validated on both ends.
 * One zod union keyed by `type`; consumers dispatch on it.
 */
export const JobSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("media.process"), media_id: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal("post.purge"), post_id: z.string().min(1).max(64) }),
  // A post's fan-out. Without `until`: the planner, which plans every range (`after` is null).
  // With `until`: one range of follow edges, (after, until], null meaning open-ended.
  z.strictObject({
    type: z.literal("feed.fanout"),
    post_id: z.string().min(1).max(64),
    after: z.string().max(64).nullable(),
    until: z.string().max(64).nullable().optional(),
  }),
  // One chunk of a story's fan-out into followers' StoryTray objects.
  z.strictObject({
    type: z.literal("story.fanout"),
    story_id: z.string().min(1).max(64),
    after: z.string().max(64).nullable(),
  }),
  // Take one author's posts out of one reader's timeline (unfollow, block, removed follower).
  z.strictObject({
    type: z.literal("feed.unlink"),
    user_id: z.string().min(1).max(64),
    author_id: z.string().min(1).max(64),
  }),
  z.strictObject({ type: z.literal("notify"), event: NotifyEventSchema }),
  // One notification to one browser (one message each, so one failing endpoint retries alone).
  z.strictObject({ type: z.literal("push.send"), subscription_id: Id, notification_id: Id }),
  // AI caption and alt-text suggestions for one image and one set of options.
  z.strictObject({ type: z.literal("caption.generate"), job_id: Id }),
  // Automatic moderation of one piece of content as it is stored when the job runs;
  // `context_id` locates content kept in a Durable Object (a live comment's session).
  z.strictObject({
    type: z.literal("moderation.check"),
    subject_type: z.enum(["post", "comment", "story", "user", "live_comment"]),
    subject_id: Id,
    context_id: Id.nullable(),
  }),
  // One account's data export, written as a ZIP to R2 (docs/data-export.md).
  z.strictObject({ type: z.literal("export.build"), export_id: Id }),
  // One stored mail (the `mails` row; its link's token is derived at send time, never carried).
  z.strictObject({ type: z.literal("mail.send"), mail_id: Id }),
  // One step of a deleted account's purge (docs/accounts.md); the job queues the next itself.
  z.strictObject({ type: z.literal("account.purge"), user_id: Id, step: z.enum(PURGE_STEPS) }),
]);

/**
 * Thrown by a job that must run again after a given delay rather than the consumer's backoff: a
 * provider's `retry-after`, or another delivery holding the work.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delaySeconds: number,
  ) {
    super(message);
    this.name = "RetryLater";
  }
}

export type Job = z.infer<typeof JobSchema>;
type ModerationCheck = Extract<Job, { type: "moderation.check" }>;

/**
 * The automatic-moderation job for new or edited content, for the write's own outbox batch; none
 * when no provider is configured (no key and no base URL): nothing is queued then.
 */
export function moderationCheck(
  config: Pick<AppConfig, "moderation">,
  subjectType: ModerationCheck["subject_type"],
  subjectId: string,
  contextId: string | null = null,
): Job[] {
  if (config.moderation.ai === null) return [];
  return [{ type: "moderation.check", subject_type: subjectType, subject_id: subjectId, context_id: contextId }];
}

export interface JobQueue {
  send(job: Job): Promise<void>;
  sendAll(jobs: Job[]): Promise<void>;
}

type JobQueues = Pick<
  Env,
  | "MEDIA_QUEUE"
  | "POSTS_QUEUE"
  | "FEED_QUEUE"
  | "NOTIFY_QUEUE"
  | "PUSH_QUEUE"
  | "CAPTIONS_QUEUE"
  | "MODERATION_QUEUE"
  | "EXPORT_QUEUE"
  | "MAIL_QUEUE"
>;

/** Which queue carries each kind of job (each queue has its own consumer settings and DLQ). */
function queueOf(queues: JobQueues, job: Job): Queue {
  switch (job.type) {
    case "media.process":
      return queues.MEDIA_QUEUE;
    case "post.purge":
    case "account.purge":
      return queues.POSTS_QUEUE;
    case "feed.fanout":
    case "feed.unlink":
    case "story.fanout":
      return queues.FEED_QUEUE;
    case "notify":
      return queues.NOTIFY_QUEUE;
    case "push.send":
      return queues.PUSH_QUEUE;
    case "caption.generate":
      return queues.CAPTIONS_QUEUE;
    case "moderation.check":
      return queues.MODERATION_QUEUE;
    case "export.build":
      return queues.EXPORT_QUEUE;
    case "mail.send":
      return queues.MAIL_QUEUE;
  }
}

/**
 * Jobs that may run at the same time as others of their batch: idempotent and independent of each
 * other (a post's fan-out ranges are disjoint; clean-ups touch one reader each). A post's ranges
 * arrive in one batch, so running them together is what makes a large fan-out fast.
 */
export function runsConcurrently(job: Job): boolean {
  return job.type === "feed.fanout" || job.type === "feed.unlink" || job.type === "story.fanout";
}

export function jobQueueFor(queues: JobQueues): JobQueue {
  const sendAll = async (jobs: Job[]) => {
    const byQueue = new Map<Queue, Job[]>();
    for (const job of jobs) {
      const queue = queueOf(queues, JobSchema.parse(job));
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), job]);
    }
    for (const [queue, list] of byQueue) {
      // Queues take at most 100 messages a batch.
      for (let i = 0; i < list.length; i += 100) {
        await queue.sendBatch(list.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
      }
    }
  };
  return {
    async send(job) {
      await queueOf(queues, job).send(JobSchema.parse(job), { contentType: "json" });
    },
    sendAll,
  };
}
