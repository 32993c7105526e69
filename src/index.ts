import { createApp } from "./app";
import { sweepTickets } from "./features/chat/chat.service";
import { trimAll } from "./features/feed/feed.service";
import { sweepOrphans } from "./features/media/media.service";
import { platformFor } from "./platform";
import { handleQueue } from "./queues/consumer";

export { ChatRoom } from "./durable-objects/chat-room/chat-room";
export { StoryTray } from "./durable-objects/story-tray";
export { UserHub } from "./durable-objects/user-hub";

const app = createApp();

/** The outbox sender's schedule (wrangler.toml): every minute. Any other cron is the hourly clean-up. */
export const OUTBOX_CRON = "* * * * *";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  async scheduled(controller, env, ctx) {
    const platform = platformFor(env);
    if (controller.cron === OUTBOX_CRON) {
      ctx.waitUntil(platform.outbox.flush());
      return;
    }
    ctx.waitUntil(platform.outbox.prune());
    ctx.waitUntil(sweepOrphans(platform));
    ctx.waitUntil(sweepTickets(platform));
    ctx.waitUntil(trimAll(platform));
  },
} satisfies ExportedHandler<Env>;
