import { z } from "@hono/zod-openapi";

/**
 * Queue messages: ids only (never secrets, user URLs or blobs), validated on both ends.
 * One zod union keyed by `type`; consumers dispatch on it.
 */
export const JobSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("media.process"), media_id: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal("post.purge"), post_id: z.string().min(1).max(64) }),
  // A post's fan-out. Without `until`: the planner (after null; a non-null `after` is the older
  // chained form, still accepted for messages queued before a deploy, planned from that edge).
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

export function jobQueueFor(queue: Queue): JobQueue {
  return {
    async send(job) {
      await queue.send(JobSchema.parse(job), { contentType: "json" });
    },
    // Queues take at most 100 messages a batch.
    async sendAll(jobs) {
      for (let i = 0; i < jobs.length; i += 100) {
        await queue.sendBatch(
          jobs.slice(i, i + 100).map((job) => ({ body: JobSchema.parse(job), contentType: "json" as const })),
        );
      }
    },
  };
}
