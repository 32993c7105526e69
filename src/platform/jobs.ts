import { z } from "@hono/zod-openapi";

/**
 * Queue messages: ids only (never secrets, user URLs or blobs), validated on both ends.
 * One zod union keyed by `type`; consumers dispatch on it.
 */
export const JobSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("media.process"), media_id: z.string().min(1).max(64) }),
  z.strictObject({ type: z.literal("post.purge"), post_id: z.string().min(1).max(64) }),
]);

export type Job = z.infer<typeof JobSchema>;

export interface JobQueue {
  send(job: Job): Promise<void>;
}

export function jobQueueFor(queue: Queue): JobQueue {
  return {
    async send(job) {
      await queue.send(JobSchema.parse(job), { contentType: "json" });
    },
  };
}
