import { createApp } from "./app";
import { sweepTickets } from "./features/chat/chat.service";
import { trimAll } from "./features/feed/feed.service";
import { sweepOrphans } from "./features/media/media.service";
import { systemClock } from "./platform/clock";
import { configFor } from "./platform/config";
import { dbFor } from "./platform/db";
import { mediaStoreFor } from "./platform/media-store";
import { handleQueue } from "./queues/consumer";

export { ChatRoom } from "./durable-objects/chat-room";
export { StoryTray } from "./durable-objects/story-tray";
export { UserHub } from "./durable-objects/user-hub";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  async scheduled(_controller, env, ctx) {
    const db = dbFor(env.DB);
    ctx.waitUntil(sweepOrphans({ db, store: mediaStoreFor(env.MEDIA), clock: systemClock }));
    ctx.waitUntil(sweepTickets({ db, clock: systemClock }));
    ctx.waitUntil(trimAll({ db, config: configFor(env), clock: systemClock }));
  },
} satisfies ExportedHandler<Env>;
