import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { api } from "./api";
import type { TestUser } from "./factories";

export async function deleteAccount(user: TestUser): Promise<string> {
  const res = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: user.password } });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { deletion_scheduled_for: string }).deletion_scheduled_for;
}

/** Moves the account's deletion `days` into the past, as if the grace period had run. */
export async function backdateDeletion(user: TestUser, days: number): Promise<void> {
  const at = new Date(Date.now() - days * 86_400_000).toISOString();
  await env.DB.prepare("UPDATE users SET deleted_at = ?1 WHERE id = ?2").bind(at, user.id).run();
}

/**
 * Runs the hourly cron (which queues due purges) and then every `account.purge` job it and the
 * jobs themselves queue, through the Worker's queue handler, until none is left; with
 * `redeliver`, every delivery runs twice (a redelivery). Answers how many deliveries ran.
 */
export async function runPurges(options: { redeliver?: boolean; beforeEach?: (job: PurgeJob) => Promise<void> } = {}) {
  const queued: unknown[] = [];
  const postsQueue = {
    send: async (body: unknown) => void queued.push(body),
    sendBatch: async (messages: { body: unknown }[]) => void queued.push(...messages.map((m) => m.body)),
  };
  // A copy of the bindings (and so its own platform) whose posts queue is caught here.
  const bindings = { ...env, POSTS_QUEUE: postsQueue } as unknown as Env;
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "0 * * * *" }), bindings, ctx);
  await waitOnExecutionContext(ctx);
  let runs = 0;
  for (let round = 0; ; round++) {
    const jobs = queued.splice(0).filter((b): b is PurgeJob => (b as PurgeJob).type === "account.purge");
    if (jobs.length === 0) return runs;
    expect(round, "the purge keeps queuing steps").toBeLessThan(500);
    for (const job of jobs) await options.beforeEach?.(job);
    for (let time = 0; time < (options.redeliver ? 2 : 1); time++) {
      const batch = createMessageBatch(
        "edgegram-posts",
        jobs.map((body, i) => ({ id: `purge-${round}-${time}-${i}`, timestamp: new Date(), attempts: time + 1, body })),
      );
      await worker.queue(batch, bindings);
      const result = await getQueueResult(batch, createExecutionContext());
      expect(result.retryMessages).toEqual([]);
      runs += jobs.length;
    }
    // A redelivered step queues its successor twice; one of each is enough to drive the chain.
    if (options.redeliver) {
      const seen = new Set<string>();
      const unique = queued.splice(0).filter((b) => {
        const key = JSON.stringify(b);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      queued.push(...unique);
    }
  }
}

export interface PurgeJob {
  type: "account.purge";
  user_id: string;
  step: string;
}

/**
 * Every table of the account's data, with the columns that refer to it: after its purge, none may
 * hold a row (reports and moderation records are kept on purpose and are not listed).
 */
export const ACCOUNT_COLUMNS: [string, string[]][] = [
  ["users", ["id"]],
  ["posts", ["author_id"]],
  ["comments", ["author_id"]],
  ["likes", ["user_id"]],
  ["saves", ["user_id"]],
  ["post_mentions", ["user_id"]],
  ["follows", ["follower_id", "followee_id"]],
  ["follow_requests", ["requester_id", "target_id"]],
  ["close_friends", ["user_id", "friend_id"]],
  ["blocks", ["blocker_id", "blocked_id"]],
  ["mutes", ["muter_id", "muted_id"]],
  ["stories", ["author_id"]],
  ["story_views", ["viewer_id"]],
  ["highlights", ["owner_id"]],
  ["notifications", ["recipient_id", "actor_id"]],
  ["notification_groups", ["recipient_id"]],
  ["notification_markers", ["user_id"]],
  ["notification_settings", ["user_id"]],
  ["push_subscriptions", ["user_id"]],
  ["caption_jobs", ["owner_id"]],
  ["media", ["owner_id"]],
  ["exports", ["user_id"]],
  ["conversation_members", ["user_id"]],
  ["refresh_tokens", ["user_id"]],
  ["realtime_tickets", ["user_id"]],
  ["auth_events", ["user_id"]],
  ["feed_snapshots", ["user_id"]],
  ["explore_seen", ["user_id"]],
  ["explore_snapshots", ["user_id"]],
  ["tag_follows", ["user_id"]],
  ["suggestion_dismissals", ["user_id", "dismissed_id"]],
  ["idempotency_keys", ["user_id"]],
  ["live_sessions", ["host_id"]],
];

/** Tables (and columns) that still hold a row referring to `userId`. */
export async function rowsLeft(userId: string): Promise<string[]> {
  const left: string[] = [];
  for (const [table, columns] of ACCOUNT_COLUMNS) {
    for (const column of columns) {
      const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?1`)
        .bind(userId)
        .first<{ n: number }>();
      if ((row?.n ?? 0) > 0) left.push(`${table}.${column}: ${row?.n}`);
    }
  }
  // The account's own timeline lives in its partition object, not D1.
  if (await platformFor(env).timelines.holds(userId)) left.push("timeline partition");
  return left;
}

/** Counters that do not match the rows they count (every counter the purge moves). */
export async function counterDrift(): Promise<string[]> {
  const checks = [
    "SELECT 'followers ' || id FROM users WHERE followers_count <> (SELECT COUNT(*) FROM follows WHERE followee_id = users.id)",
    "SELECT 'following ' || id FROM users WHERE following_count <> (SELECT COUNT(*) FROM follows WHERE follower_id = users.id)",
    "SELECT 'likes ' || id FROM posts WHERE deleted_at IS NULL AND like_count <> (SELECT COUNT(*) FROM likes WHERE post_id = posts.id)",
    "SELECT 'saves ' || id FROM posts WHERE deleted_at IS NULL AND save_count <> (SELECT COUNT(*) FROM saves WHERE post_id = posts.id)",
    "SELECT 'comments ' || id FROM posts WHERE deleted_at IS NULL AND comment_count <> (SELECT COUNT(*) FROM comments WHERE post_id = posts.id)",
    "SELECT 'replies ' || id FROM comments WHERE reply_count <> (SELECT COUNT(*) FROM comments r WHERE r.parent_id = comments.id)",
    "SELECT 'views ' || id FROM stories WHERE view_count <> (SELECT COUNT(*) FROM story_views WHERE story_id = stories.id)",
  ];
  const drift: string[] = [];
  for (const query of checks) {
    const rows = await env.DB.prepare(query).raw<[string]>();
    drift.push(...rows.map((r) => r[0]));
  }
  return drift;
}
