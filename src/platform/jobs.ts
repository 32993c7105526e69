import { z } from "@hono/zod-openapi";

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
]);

export type Job = z.infer<typeof JobSchema>;

export interface JobQueue {
  send(job: Job): Promise<void>;
  sendAll(jobs: Job[]): Promise<void>;
}

type JobQueues = Pick<Env, "MEDIA_QUEUE" | "POSTS_QUEUE" | "FEED_QUEUE">;

/** Which queue carries each kind of job (each queue has its own consumer settings and DLQ). */
function queueOf(queues: JobQueues, job: Job): Queue {
  switch (job.type) {
    case "media.process":
      return queues.MEDIA_QUEUE;
    case "post.purge":
      return queues.POSTS_QUEUE;
    case "feed.fanout":
    case "feed.unlink":
    case "story.fanout":
      return queues.FEED_QUEUE;
  }
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
