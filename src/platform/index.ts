import { type EdgeCache, edgeCacheFor } from "./cache";
import { appClock, type Clock } from "./clock";
import { type AppConfig, configFor } from "./config";
import { type D1Sessions, d1SessionsFor, sessionRouted } from "./d1-session";
import { type Db, dbFor } from "./db";
import { type DirectUploads, directUploadsFor } from "./direct-uploads";
import { type Images, imagesFor } from "./images";
import { type JobQueue, jobQueueFor } from "./jobs";
import { type Mailer, mailerFor } from "./mail";
import { type MediaStore, mediaStoreFor } from "./media-store";
import { type Outbox, outboxFor } from "./outbox";
import { type RateLimiters, rateLimitersFor } from "./rate-limit";
import { type Realtime, realtimeFor } from "./realtime";
import { sessionGuarded } from "./session-guard";
import { type StreamLive, streamFor } from "./stream";
import { type Timelines, timelinesFor } from "./timelines";
import { type WebPush, webPushFor } from "./web-push";

/**
 * The composition root: everything a feature may use, built from the Worker's bindings and the
 * validated configuration. The request middleware, the queue consumer, the cron and the Durable
 * Objects all get their dependencies here; a feature declares what it uses as a `Pick<Platform, …>`
 * and never builds a binding wrapper itself.
 */
export interface Platform {
  db: Db;
  config: AppConfig;
  clock: Clock;
  cache: EdgeCache;
  store: MediaStore;
  images: Images;
  /** Sends to the queues: for consumers continuing their own work (a retried message redoes it). */
  jobs: JobQueue;
  /** Work that must follow a write: stored in the write's batch, then sent (see outbox.ts). */
  outbox: Outbox;
  realtime: Realtime;
  /** Home timelines in partitioned Durable Objects (docs/scale.md, "Timelines"). */
  timelines: Timelines;
  limits: RateLimiters;
  /** Cloudflare Stream Live, when configured; null: live sessions are comments-only. */
  stream: StreamLive | null;
  /** Present when R2 S3 credentials are configured: uploads then go straight to R2. */
  direct: DirectUploads | null;
  /** Mail (platform/mail.ts): called only by the `mail.send` job; features stage mail through the outbox. */
  mail: Mailer;
  /** Web Push to browsers' push services, signed with the VAPID keys (see web-push.ts). */
  push: WebPush;
  /** Where URLs handed to clients point: this Worker's origin ("" off a request: jobs write no URLs). */
  origin: string;
  /**
   * D1 read replication: opens the request's D1 session (platform/d1-session.ts); `db` reads and
   * writes through it. Off a request (queues, crons, Durable Objects) `db` uses the primary.
   */
  d1Sessions: D1Sessions;
}

// The env object is the same for every request an isolate serves: build the wrappers once.
const built = new WeakMap<Env, Omit<Platform, "origin">>();

/** Throws a ConfigError (answered 500, fail closed) when a setting or secret is missing or weak. */
export function platformFor(env: Env, origin = ""): Platform {
  let base = built.get(env);
  if (!base) {
    // D1 read replication (docs/replication.md): queries go through the request's D1 session.
    const db = dbFor(sessionGuarded(sessionRouted(env.DB)));
    const jobs = jobQueueFor(env);
    const config = configFor(env);
    base = {
      db,
      config,
      clock: appClock,
      cache: edgeCacheFor(env.CACHE),
      store: mediaStoreFor(env.MEDIA),
      images: imagesFor(env.IMAGES),
      jobs,
      outbox: outboxFor(db, jobs, appClock),
      realtime: realtimeFor(env),
      timelines: timelinesFor(env.TIMELINES, {
        partitions: config.feed.timelinePartitions,
        cap: config.feed.timelineCap,
      }),
      limits: rateLimitersFor(env),
      direct: directUploadsFor(env),
      stream: config.live.stream ? streamFor(config.live.stream) : null,
      push: webPushFor(config.vapid),
      mail: mailerFor(config.mail, db, appClock),
      d1Sessions: d1SessionsFor(env.DB),
    };
    built.set(env, base);
  }
  return { ...base, origin };
}

export type {
  AppConfig,
  Clock,
  D1Sessions,
  Db,
  DirectUploads,
  EdgeCache,
  Images,
  JobQueue,
  Mailer,
  MediaStore,
  Outbox,
  RateLimiters,
  Realtime,
  Timelines,
  WebPush,
};
