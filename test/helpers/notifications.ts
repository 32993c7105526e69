import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { api } from "./api";
import type { TestUser } from "./factories";

export interface GroupBody {
  group_key: string;
  type: string;
  actors: { id: string; username: string }[];
  actor_count: number;
  post: { id: string; thumbnail: string | null; thumbhash: string | null } | null;
  comment: { id: string; excerpt: string } | null;
  live: { id: string; title: string; status: string } | null;
  text: string | null;
  latest_at: string;
  most_recent_notification_id: string;
  unread: boolean;
}

/**
 * Runs the notify jobs the outbox stored for these actors' actions through the Worker's queue
 * handler now, and waits for it. The real queue delivers the same jobs in the background; the
 * consumer is idempotent, so running a job twice is exactly what a redelivery is. A job the
 * consumer queues itself (the next chunk of a `live` fan-out) is caught and run the same way,
 * until none is left. After this, a notification that should exist does, and one that should not
 * never will.
 */
export async function settle(...actors: TestUser[]): Promise<void> {
  const rows = await env.DB.prepare(
    `SELECT id, job FROM outbox WHERE json_extract(job, '$.type') = 'notify'
       AND json_extract(job, '$.event.actor_id') IN (SELECT value FROM json_each(?1)) ORDER BY id`,
  )
    .bind(JSON.stringify(actors.map((a) => a.id)))
    .all<{ id: string; job: string }>();
  let bodies = rows.results.map((r) => JSON.parse(r.job) as unknown);
  for (let round = 0; bodies.length > 0; round++) {
    expect(round, "notify jobs keep queuing more").toBeLessThan(100);
    const queued: unknown[] = [];
    const notifyQueue = {
      send: async (body: unknown) => void queued.push(body),
      sendBatch: async (messages: { body: unknown }[]) => void queued.push(...messages.map((m) => m.body)),
    };
    const batch = createMessageBatch(
      "edgegram-notify",
      bodies.map((body, i) => ({ id: `settle-${round}-${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    // A copy of the bindings (and so its own platform) whose notify queue is caught here.
    await worker.queue(batch, { ...env, NOTIFY_QUEUE: notifyQueue } as unknown as Env);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.retryMessages).toEqual([]);
    bodies = queued;
  }
}

export async function groupsOf(
  user: TestUser,
  query = "",
): Promise<{ items: GroupBody[]; next_cursor: string | null }> {
  const res = await api("GET", `/v1/notifications${query}`, { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { items: GroupBody[]; next_cursor: string | null };
}

export async function unreadOf(user: TestUser): Promise<number> {
  const res = await api("GET", "/v1/notifications/unread_count", { token: user.accessToken });
  expect(res.status).toBe(200);
  return ((await res.json()) as { count: number }).count;
}

export async function setSettings(user: TestUser, settings: Record<string, string>): Promise<void> {
  const res = await api("PATCH", "/v1/me/notification-settings", { token: user.accessToken, body: settings });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Rows stored for a recipient, straight from D1 (what the list hides is still counted here). */
export async function storedFor(user: TestUser): Promise<{ type: string; actor_id: string | null; folder: string }[]> {
  const rows = await env.DB.prepare(
    "SELECT type, actor_id, folder FROM notifications WHERE recipient_id = ?1 ORDER BY id",
  )
    .bind(user.id)
    .all<{ type: string; actor_id: string | null; folder: string }>();
  return rows.results;
}
