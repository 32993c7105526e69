import { createApp } from "./app";
import { sweepOrphans } from "./features/media/media.service";
import { systemClock } from "./platform/clock";
import { dbFor } from "./platform/db";
import { mediaStoreFor } from "./platform/media-store";
import { handleQueue } from "./queues/consumer";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepOrphans({ db: dbFor(env.DB), store: mediaStoreFor(env.MEDIA), clock: systemClock }));
  },
} satisfies ExportedHandler<Env>;
