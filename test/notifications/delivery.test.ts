import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notify, trimNotifications } from "../../src/features/notifications/notifications.service";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { newId } from "../../src/platform/ids";
import type { Job, JobQueue, NotifyEvent } from "../../src/platform/jobs";
import { api } from "../helpers/api";
import { joinHub } from "../helpers/chat";
import { createUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { groupsOf, settle, storedFor } from "../helpers/notifications";
import { publish } from "../helpers/posts";
import { browserSubscription, received, subscribe as subscribeBrowser } from "../helpers/push";

afterEach(() => setClock(null));

/** A push subscription row, as the push routes store one. */
async function subscribe(userId: string): Promise<string> {
  const id = newId();
  await env.DB.prepare(
    "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) VALUES (?1, ?2, ?3, 'k', 'a', ?4)",
  )
    .bind(id, userId, `https://push.example.test/${id}`, new Date().toISOString())
    .run();
  return id;
}

/** A JobQueue that records what is sent, failing the first `failures` sends. */
function recordingJobs(failures = 0): JobQueue & { sent: Job[] } {
  let left = failures;
  const sent: Job[] = [];
  const sendAll = async (jobs: Job[]) => {
    if (left-- > 0) throw new Error("queue refused the send");
    sent.push(...jobs);
  };
  return { sent, sendAll, send: (job) => sendAll([job]) };
}

describe("real time", () => {
  it("a like reaches the author's UserHub socket through the real queue, with the unread count", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    const socket = await joinHub(alice);
    expect((await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken })).status).toBe(200);
    // Generous for a busy CI machine; the bench measures the latency itself.
    const frames = await socket.until((f) => f.some((x) => x.type === "notification"), "notification", 15_000);
    const frame = frames.find((x) => x.type === "notification") as unknown as {
      group: { type: string; actors: { username: string }[]; post: { id: string } };
      unread_count: number;
    };
    expect(frame.group.type).toBe("like");
    expect(frame.group.actors[0]?.username).toBe(bob.username);
    expect(frame.group.post.id).toBe(post.id);
    expect(frame.unread_count).toBe(1);
    socket.close();
  });
});

describe("faults lose nothing", () => {
  it("a push enqueue that fails after the write is finished by the retry, not lost and not doubled", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const subscription = await subscribe(alice.id);
    const event: NotifyEvent = {
      kind: "follow",
      actor_id: bob.id,
      recipient_id: alice.id,
      at: new Date().toISOString(),
    };
    await follow(bob, alice);
    const platform = platformFor(env);
    const failing = recordingJobs(1);
    await expect(notify({ ...platform, jobs: failing }, event)).rejects.toThrow("queue refused");
    const stored = await env.DB.prepare("SELECT id, delivered_at FROM notifications WHERE recipient_id = ?1")
      .bind(alice.id)
      .all<{ id: string; delivered_at: string | null }>();
    expect(stored.results).toHaveLength(1);
    // The row is written, marked undelivered: the retry knows to finish the job.
    const id = stored.results[0]?.id;
    const working = recordingJobs();
    await notify({ ...platform, jobs: working }, event);
    expect(working.sent).toEqual([{ type: "push.send", subscription_id: subscription, notification_id: id }]);
    // A third delivery finds it delivered and sends nothing again.
    const again = recordingJobs();
    await notify({ ...platform, jobs: again }, event);
    expect(again.sent).toEqual([]);
    expect(await storedFor(alice)).toHaveLength(1);
  });

  it("a failing message is retried with backoff while the rest of the batch is acked; the DLQ records it", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    const flaky = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) => {
            if (query.includes('INSERT OR IGNORE INTO "notifications"') && query.includes("?")) {
              const statement = target.prepare(query);
              return new Proxy(statement, {
                get(s, p) {
                  if (p === "bind") {
                    return (...args: unknown[]) => {
                      if (args.includes(carol.id)) throw new Error("D1 is down");
                      return s.bind(...args);
                    };
                  }
                  const value = Reflect.get(s, p);
                  return typeof value === "function" ? value.bind(s) : value;
                },
              });
            }
            return target.prepare(query);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const at = new Date().toISOString();
    const body = (actor: string): Job => ({
      type: "notify",
      event: { kind: "like", actor_id: actor, post_id: post.id, at },
    });
    const batch = createMessageBatch<unknown>("edgegram-notify", [
      { id: "ok", timestamp: new Date(), attempts: 1, body: body(bob.id) },
      { id: "fails", timestamp: new Date(), attempts: 1, body: body(carol.id) },
      { id: "malformed", timestamp: new Date(), attempts: 1, body: { type: "notify", event: { kind: "boo" } } },
    ]);
    await worker.queue(batch, { ...env, DB: flaky });
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks.sort()).toEqual(["malformed", "ok"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["fails"]);

    const dead = createMessageBatch("edgegram-notify-dlq", [
      { id: "fails", timestamp: new Date(), attempts: 6, body: body(carol.id) },
    ]);
    await worker.queue(dead, env);
    expect((await getQueueResult(dead, createExecutionContext())).explicitAcks).toEqual(["fails"]);
    const failed = await env.DB.prepare("SELECT queue, error FROM failed_jobs WHERE body LIKE ?1")
      .bind(`%${carol.id}%`)
      .all<{ queue: string; error: string }>();
    expect(failed.results).toEqual([{ queue: "edgegram-notify-dlq", error: "retries exhausted" }]);
    // A replay (the retry) then writes it once.
    await notify(platformFor(env), { kind: "like", actor_id: carol.id, post_id: post.id, at });
    expect((await groupsOf(alice)).items[0]?.actor_count).toBe(2);
  });
});

describe("retention", () => {
  it("the hourly trim deletes notifications and groups older than 90 days by index range", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await follow(bob, alice);
    await follow(carol, alice);
    const platform = platformFor(env);
    const longAgo = new Date(Date.now() - 91 * 24 * 3600_000);
    setClock({ now: () => longAgo });
    await notify(platform, { kind: "follow", actor_id: bob.id, recipient_id: alice.id, at: longAgo.toISOString() });
    setClock(null);
    await notify(platform, {
      kind: "follow",
      actor_id: carol.id,
      recipient_id: alice.id,
      at: new Date().toISOString(),
    });
    expect(await storedFor(alice)).toHaveLength(2);

    await trimNotifications(platform);
    expect((await storedFor(alice)).map((n) => n.actor_id)).toEqual([carol.id]);
    const groups = await env.DB.prepare("SELECT count FROM notification_groups WHERE recipient_id = ?1")
      .bind(alice.id)
      .all<{ count: number }>();
    expect(groups.results).toEqual([{ count: 1 }]);

    // Both deletes walk an index (the primary key, notification_groups_latest_idx), never the table.
    const plans = [
      "EXPLAIN QUERY PLAN SELECT id FROM notifications WHERE id < ?1 LIMIT 500",
      "EXPLAIN QUERY PLAN SELECT recipient_id, group_key FROM notification_groups WHERE latest_id < ?1 LIMIT 500",
    ];
    for (const plan of plans) {
      const rows = await env.DB.prepare(plan).bind("0").all<{ detail: string }>();
      const detail = rows.results.map((r) => r.detail).join("; ");
      expect(detail).toMatch(/SEARCH .* USING (INTEGER PRIMARY KEY|(COVERING )?INDEX)/);
      expect(detail).not.toMatch(/\bSCAN\b/);
    }
  });
});

describe("Web Push, end to end", () => {
  it("a like reaches the author's browser encrypted, saying who and what, never the caption; a filtered one is not pushed", async () => {
    const [alice, bob, stranger] = [await createUser(), await createUser(), await createUser()];
    const browser = await browserSubscription();
    await subscribeBrowser(alice, browser);
    const post = await publish(alice, { caption: "a secret caption" });
    await follow(alice, bob);
    expect((await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken })).status).toBe(200);
    // Through the real queues: notify, then push.send.
    await vi.waitFor(
      async () => {
        expect(await received(browser)).toHaveLength(1);
      },
      { timeout: 15_000, interval: 100 },
    );
    const [push] = await received(browser);
    expect(push?.problems).toEqual([]);
    const message = JSON.parse(push?.payload ?? "{}") as Record<string, string>;
    const [group] = (await groupsOf(alice)).items;
    expect(message).toEqual({
      title: "Edgegram",
      body: `@${bob.username} liked your post`,
      group_key: group?.group_key,
      notification_id: group?.most_recent_notification_id,
      url: "/notifications",
    });
    expect(push?.payload).not.toContain("secret caption");

    // Strangers filtered: stored in the filtered folder, not pushed.
    const settings = await api("PATCH", "/v1/me/notification-settings", {
      token: alice.accessToken,
      body: { strangers: "filter" },
    });
    expect(settings.status).toBe(200);
    await api("POST", `/v1/posts/${post.id}/like`, { token: stranger.accessToken });
    await settle(stranger);
    expect((await groupsOf(alice, "?folder=filtered")).items).toHaveLength(1);
    expect(await received(browser)).toHaveLength(1);
  });
});
