import { pruneAccountMail } from "./features/account/mail.service";
import { queueDuePurges } from "./features/account/purge.service";
import { sweepTickets } from "./features/chat/chat.service";
import { pruneExploreSnapshots } from "./features/explore/explore.service";
import { sweepExports } from "./features/export/export.service";
import { pruneFeedSnapshots } from "./features/feed/feed.service";
import { endAbandoned } from "./features/live/live.service";
import { sweepOrphans } from "./features/media/media.service";
import { liftEnded } from "./features/moderation/suspension";
import { trimNotifications } from "./features/notifications/notifications.service";
import { refreshTrends } from "./features/tags/tags.service";
import { platformFor } from "./platform";
import { handleQueue } from "./queues/consumer";

/** The outbox sender's schedule (wrangler.toml): every minute. Any other cron is the hourly clean-up. */
export const OUTBOX_CRON = "* * * * *";

/**
 * The Worker's handlers around an app: its fetch, the queue consumer and the crons. Shared by the
 * production entry (src/index.ts) and the bench entry (src/bench/entry.ts), so the bench serves
 * the same Worker with its own routes added.
 */
export function workerFor(app: { fetch: ExportedHandlerFetchHandler<Env> }) {
  return {
    fetch: app.fetch,
    queue: handleQueue,
    async scheduled(controller, env, ctx) {
      const platform = platformFor(env);
      if (controller.cron === OUTBOX_CRON) {
        ctx.waitUntil(platform.outbox.flush());
        ctx.waitUntil(endAbandoned(platform));
        ctx.waitUntil(liftEnded(platform, platform.clock.now()));
        return;
      }
      ctx.waitUntil(platform.outbox.prune());
      ctx.waitUntil(sweepOrphans(platform));
      ctx.waitUntil(sweepTickets(platform));
      ctx.waitUntil(pruneFeedSnapshots(platform));
      ctx.waitUntil(trimNotifications(platform));
      ctx.waitUntil(pruneExploreSnapshots(platform));
      ctx.waitUntil(refreshTrends(platform));
      ctx.waitUntil(sweepExports(platform));
      ctx.waitUntil(pruneAccountMail(platform));
      ctx.waitUntil(queueDuePurges(platform));
    },
  } satisfies ExportedHandler<Env>;
}
