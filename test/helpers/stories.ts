import { env } from "cloudflare:workers";
import { storyFanout } from "../../src/features/stories/stories.service";
import { systemClock } from "../../src/platform/clock";
import { configFor } from "../../src/platform/config";
import { dbFor } from "../../src/platform/db";
import type { Job } from "../../src/platform/jobs";
import { realtimeFor } from "../../src/platform/realtime";

/** Runs a story's whole fan-out now, chunk after chunk, instead of waiting for the queue. */
export async function fanOut(storyId: string): Promise<void> {
  const queued: Job[] = [];
  const deps = {
    db: dbFor(env.DB),
    config: configFor(env),
    clock: systemClock,
    realtime: realtimeFor(env),
    jobs: {
      send: async (job: Job) => void queued.push(job),
      sendAll: async (jobs: Job[]) => void queued.push(...jobs),
    },
  };
  await storyFanout(deps, storyId, null);
  for (const job of queued) if (job.type === "story.fanout") await storyFanout(deps, job.story_id, job.after);
}
