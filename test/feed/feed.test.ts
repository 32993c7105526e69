import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fanout, feedCacheKey } from "../../src/features/feed/feed.service";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { newId } from "../../src/platform/ids";
import type { Job } from "../../src/platform/jobs";
import { timelinesFor } from "../../src/platform/timelines";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { type PostBody, publish } from "../helpers/posts";

const { db, config, timelines } = platformFor(env);

/** Runs a post's whole fan-out synchronously, chunk after chunk; returns the messages it queued. */
async function fanOut(postId: string): Promise<Job[]> {
  const queued: Job[] = [];
  const jobs = {
    send: async (job: Job) => void queued.push(job),
    sendAll: async (list: Job[]) => void queued.push(...list),
  };
  await fanout({ db, config, jobs, timelines }, postId, null);
  for (let i = 0; i < queued.length; i++) {
    const job = queued[i];
    if (job?.type === "feed.fanout") await fanout({ db, config, jobs, timelines }, job.post_id, job.after, job.until);
  }
  return queued;
}

async function feedIds(user: TestUser, query = ""): Promise<{ ids: string[]; next: string | null }> {
  const res = await api("GET", `/v1/feed${query}`, { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { items: PostBody[]; next_cursor: string | null };
  return { ids: body.items.map((p) => p.id), next: body.next_cursor };
}

/** How many timelines hold the post, over every partition. */
const timelineRows = (postId: string) => timelines.countPost(postId);

/** The reader's timeline, newest first. */
const timelineOf = (user: TestUser) => timelines.page(user.id, null, 1_000);

/** `n` followers of `author`, written straight to D1 (follows have their own tests). */
async function manyFollowers(author: TestUser, n: number): Promise<void> {
  const now = new Date().toISOString();
  for (let start = 0; start < n; start += 500) {
    const users = Array.from({ length: Math.min(500, n - start) }, (_, i) => ({
      id: newId(),
      name: `f${start + i}_${author.id.slice(-6)}`.toLowerCase(),
    }));
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
         SELECT json_extract(value, '$.id'), json_extract(value, '$.name'), json_extract(value, '$.name') || '@x.test', 'x', ?1, ?1
         FROM json_each(?2)`,
      ).bind(now, JSON.stringify(users)),
      env.DB.prepare(
        `INSERT INTO follows (follower_id, followee_id, id, created_at)
         SELECT json_extract(value, '$.id'), ?1, json_extract(value, '$.id'), ?2 FROM json_each(?3)`,
      ).bind(author.id, now, JSON.stringify(users)),
      env.DB.prepare("UPDATE users SET followers_count = followers_count + ?2 WHERE id = ?1").bind(
        author.id,
        users.length,
      ),
    ]);
  }
}

describe("GET /v1/feed", () => {
  it("shows pushed posts of followed accounts and the reader's own posts at once", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await follow(bob, alice);
    const post = await publish(alice);
    const own = await publish(bob);
    // Own post: in the feed at once, read from posts (no timeline row, no fan-out); alice's comes
    // from the fallback (followed authors read from D1) until it is pushed.
    expect(await timelineOf(bob)).toEqual([]);
    expect((await feedIds(bob, "?limit=1")).ids).toEqual([own.id]);
    await fanOut(post.id);
    expect(await timelineOf(bob)).toEqual([post.id]);
    expect((await feedIds(bob)).ids).toEqual([own.id, post.id]);
  });

  it("shows a newly followed account's recent posts at once, as far as the policy allows", async () => {
    const [author, other, reader, privateAuthor] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await follow(reader, other);
    const older = await publish(author);
    const secret = await publish(author, { audience: "close_friends" });
    const fromOther = await publish(other);
    await fanOut(fromOther.id);
    const gone = await publish(author);
    await api("DELETE", `/v1/posts/${gone.id}`, { token: author.accessToken });
    const newer = await publish(author);
    expect((await feedIds(reader)).ids).toEqual([fromOther.id]);
    await follow(reader, author);
    // The follow itself put the followee's recent visible posts in the timeline, so the newer one
    // sits above what was already there (reading past the timeline's end would only find the older).
    expect((await feedIds(reader)).ids).toEqual([newer.id, fromOther.id, older.id]);
    expect((await feedIds(reader)).ids).not.toContain(secret.id);

    await makePrivate(privateAuthor);
    const hidden = await publish(privateAuthor);
    expect(await follow(reader, privateAuthor)).toBe("requested");
    expect((await feedIds(reader)).ids).not.toContain(hidden.id);
    const approve = await api("POST", `/v1/me/follow-requests/${reader.username}/approve`, {
      token: privateAuthor.accessToken,
    });
    expect(approve.status).toBe(204);
    expect((await feedIds(reader)).ids).toEqual([hidden.id, newer.id, fromOther.id, older.id]);
  });

  it("pulls the posts of authors above the fan-out threshold at read time instead of pushing them", async () => {
    const [star, fan] = [await createUser(), await createUser()];
    await follow(fan, star);
    await env.DB.prepare("UPDATE users SET followers_count = ? WHERE id = ?")
      .bind(config.feed.fanoutMaxFollowers + 1, star.id)
      .run();
    const post = await publish(star);
    expect(await fanOut(post.id)).toEqual([]);
    expect(await timelineRows(post.id)).toBe(0);
    expect((await feedIds(fan)).ids).toEqual([post.id]);
  });

  it("shows a post once when its author crossed the threshold after it was pushed (timeline and pull overlap)", async () => {
    const [author, fan] = [await createUser(), await createUser()];
    await follow(fan, author);
    const post = await publish(author);
    await fanOut(post.id);
    expect(await timelineOf(fan)).toEqual([post.id]);
    await env.DB.prepare("UPDATE users SET followers_count = ? WHERE id = ?")
      .bind(config.feed.fanoutMaxFollowers + 1, author.id)
      .run();
    // A page of 2 is where a duplicate would pass for a full page on the one-statement path.
    expect((await feedIds(fan, "?limit=2")).ids).toEqual([post.id]);
  });

  it("fans out in ranges of 2,500 followers queued at once, and a redelivered range adds no duplicates", async () => {
    const author = await createUser();
    await manyFollowers(author, 6_000);
    const post = await publish(author);
    const queued = await fanOut(post.id);
    // The planner pushes the first range itself and queues the other two together.
    expect(queued.map((j) => j.type === "feed.fanout" && j.until !== undefined)).toEqual([true, true]);
    expect(await timelineRows(post.id)).toBe(6_000);
    // Redeliver the planner and every range: nothing changes.
    const none = { send: async () => {}, sendAll: async () => {} };
    await fanout({ db, config, jobs: none, timelines }, post.id, null);
    for (const job of queued)
      if (job.type === "feed.fanout")
        await fanout({ db, config, jobs: none, timelines }, post.id, job.after, job.until);
    expect(await timelineRows(post.id)).toBe(6_000);
    // Ranges do not overlap and cover every follower: each range alone adds exactly its share.
    await timelines.removePost(post.id);
    const shares = [];
    for (const job of queued) {
      if (job.type !== "feed.fanout") continue;
      const before = await timelineRows(post.id);
      await fanout({ db, config, jobs: none, timelines }, post.id, job.after, job.until);
      shares.push((await timelineRows(post.id)) - before);
    }
    expect(shares).toEqual([2_500, 1_000]);
  });

  it("retries a failing fan-out message, acks the rest of the batch, and dead-letters it after the retries", async () => {
    const [a, b, reader] = [await createUser(), await createUser(), await createUser()];
    await follow(reader, a);
    await follow(reader, b);
    const pa = await publish(a);
    const pb = await publish(b);
    // The first read of a range's readers fails (as D1 does on a lost connection); later ones work.
    let calls = 0;
    const failFirstRun = (statement: D1PreparedStatement): D1PreparedStatement =>
      new Proxy(statement, {
        get(target, prop) {
          if (prop === "bind") return (...values: unknown[]) => failFirstRun(target.bind(...values));
          if (prop === "run" || prop === "all" || prop === "raw") {
            return (...args: unknown[]) => {
              calls++;
              if (calls === 1) return Promise.reject(new Error("D1_ERROR: Network connection lost"));
              return Reflect.apply(Reflect.get(target, prop) as (...a: unknown[]) => unknown, target, args);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const flaky = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) =>
            query.includes('"follower_id" AS id') ? failFirstRun(target.prepare(query)) : target.prepare(query);
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const batch = createMessageBatch("edgegram-feed", [
      { id: "fa", timestamp: new Date(), attempts: 1, body: { type: "feed.fanout", post_id: pa.id, after: null } },
      { id: "fb", timestamp: new Date(), attempts: 1, body: { type: "feed.fanout", post_id: pb.id, after: null } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, DB: flaky });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["fb"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["fa"]);
    expect(await timelineRows(pb.id)).toBe(1);
    expect(await timelineRows(pa.id)).toBe(0);

    const dead = createMessageBatch("edgegram-feed-dlq", [
      { id: "fa", timestamp: new Date(), attempts: 4, body: { type: "feed.fanout", post_id: pa.id, after: null } },
    ]);
    await worker.queue(dead, env);
    expect((await getQueueResult(dead, createExecutionContext())).explicitAcks).toEqual(["fa"]);
    const failed = await env.DB.prepare("SELECT queue FROM failed_jobs WHERE body LIKE ?")
      .bind(`%${pa.id}%`)
      .all<{ queue: string }>();
    expect(failed.results).toEqual([{ queue: "edgegram-feed-dlq" }]);
    // The reader still sees a's post: past the timeline, the feed reads followed authors directly.
    expect((await feedIds(reader)).ids).toEqual([pb.id, pa.id]);
  });

  it("pages with a keyset cursor: no duplicates and no gaps while new posts arrive", async () => {
    const [author, reader] = [await createUser(), await createUser()];
    await follow(reader, author);
    const made: string[] = [];
    for (let i = 0; i < 12; i++) {
      const post = await publish(author);
      await fanOut(post.id);
      made.push(post.id);
    }
    const seen: string[] = [];
    let page = await feedIds(reader, "?limit=5");
    seen.push(...page.ids);
    for (let i = 0; i < 3; i++) {
      const fresh = await publish(author);
      await fanOut(fresh.id);
    }
    while (page.next) {
      page = await feedIds(reader, `?limit=5&cursor=${page.next}`);
      seen.push(...page.ids);
    }
    expect(seen).toEqual([...made].reverse());
  });

  it("never ends early: past a trimmed timeline, older posts come from followed authors", async () => {
    const [author, reader] = [await createUser(), await createUser()];
    await follow(reader, author);
    const made: string[] = [];
    for (let i = 0; i < 8; i++) {
      const post = await publish(author);
      await fanOut(post.id);
      made.push(post.id);
    }
    // The same partitions with a cap of 3: adding a post the reader has already cuts it back.
    const capped = timelinesFor(env.TIMELINES, { partitions: config.feed.timelinePartitions, cap: 3 });
    await capped.add(reader.id, [{ postId: made[7] ?? "", authorId: author.id }]);
    expect(await timelineOf(reader)).toEqual(made.slice(-3).reverse());
    const seen: string[] = [];
    let page = await feedIds(reader, "?limit=3");
    seen.push(...page.ids);
    while (page.next) {
      page = await feedIds(reader, `?limit=3&cursor=${page.next}`);
      seen.push(...page.ids);
    }
    expect(seen).toEqual([...made].reverse());
  });

  it("drops unfollowed, blocked and muted authors and deleted posts at once, including from the KV page", async () => {
    const [alice, bob, carol, dave, reader] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    for (const author of [alice, bob, carol, dave]) await follow(reader, author);
    const posts: Record<string, PostBody> = {};
    for (const [name, author] of Object.entries({ alice, bob, carol, dave })) {
      posts[name] = await publish(author);
      await fanOut(posts[name]?.id ?? "");
    }
    const first = await feedIds(reader, "?limit=4");
    expect(first.ids).toHaveLength(4);
    expect(await env.CACHE.get(feedCacheKey(reader.id))).not.toBeNull();
    // A page served from KV is the same page; `Cache-Control: no-cache` reads it fresh.
    expect((await feedIds(reader, "?limit=4")).ids).toEqual(first.ids);
    await env.CACHE.put(
      feedCacheKey(reader.id),
      JSON.stringify({ ids: first.ids.slice(0, 3).concat(first.ids[0] ?? ""), next_cursor: null }),
    );
    const fresh = await api("GET", "/v1/feed?limit=4", {
      token: reader.accessToken,
      headers: { "cache-control": "no-cache" },
    });
    expect(((await fresh.json()) as { items: PostBody[] }).items.map((p) => p.id)).toEqual(first.ids);
    // A fresh read leaves the cached page alone (KV takes one write a second per key, and a
    // pull-to-refresh must not spend it); the next plain read still re-checks what it serves.
    const cachedAfter = await env.CACHE.get<{ ids: string[] }>(feedCacheKey(reader.id), "json");
    expect(cachedAfter?.ids).toEqual(first.ids.slice(0, 3).concat(first.ids[0] ?? ""));

    await api("DELETE", `/v1/posts/${posts.dave?.id}`, { token: dave.accessToken });
    expect((await feedIds(reader, "?limit=4")).ids).not.toContain(posts.dave?.id);
    await api("DELETE", `/v1/users/${alice.username}/follow`, { token: reader.accessToken });
    expect(await env.CACHE.get(feedCacheKey(reader.id))).toBeNull();
    await api("POST", `/v1/users/${reader.username}/block`, { token: bob.accessToken });
    await api("POST", `/v1/users/${carol.username}/mute`, { token: reader.accessToken });
    expect((await feedIds(reader, "?limit=4")).ids).toEqual([]);
  });

  it("never shows a private account's posts to non-followers, nor close-friends posts to other followers", async () => {
    const [carol, friend, follower, reader] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await follow(friend, carol);
    await follow(follower, carol);
    await follow(reader, carol);
    await api("PUT", `/v1/me/close-friends/${friend.username}`, { token: carol.accessToken });
    const cf = await publish(carol, { audience: "close_friends" });
    await fanOut(cf.id);
    // Pushed to the close friend only.
    expect(await timelineOf(friend)).toEqual([cf.id]);
    expect(await timelineOf(follower)).toEqual([]);
    expect(await timelineRows(cf.id)).toBe(1);
    expect((await feedIds(friend)).ids).toEqual([cf.id]);
    expect((await feedIds(follower)).ids).toEqual([]);

    const pub = await publish(carol);
    await fanOut(pub.id);
    expect((await feedIds(reader)).ids).toEqual([pub.id]);
    // Carol goes private and drops the reader: her posts leave the reader's feed though the
    // timeline row is still there until the queued clean-up runs.
    await makePrivate(carol);
    await api("DELETE", `/v1/me/followers/${reader.username}`, { token: carol.accessToken });
    expect((await feedIds(reader)).ids).toEqual([]);
    // An earlier cached page (written before any of this) cannot bring it back either.
    await env.CACHE.put(feedCacheKey(reader.id), JSON.stringify({ ids: [pub.id], next_cursor: null }));
    expect((await feedIds(reader, "?limit=1")).ids).toEqual([]);
  });

  it("answers 422 for an unknown mode and bad limits, and 400 for forged cursors", async () => {
    const reader = await createUser();
    await expectProblem(
      await api("GET", "/v1/feed?mode=popular", { token: reader.accessToken }),
      422,
      "validation_failed",
    );
    await expectProblem(await api("GET", "/v1/feed?limit=51", { token: reader.accessToken }), 422, "validation_failed");
    await expectProblem(
      await api("GET", "/v1/feed?cursor=abc.def", { token: reader.accessToken }),
      400,
      "invalid_cursor",
    );
  });
});

describe("GET /v1/feed?mode=ranked", () => {
  async function setup() {
    const [a, b, reader] = [await createUser(), await createUser(), await createUser()];
    await follow(reader, a);
    await follow(reader, b);
    return { a, b, reader };
  }

  it("puts engagement (likes 1, comments 2, saves 3) and the reader's affinity above recency alone", async () => {
    const { a, b, reader } = await setup();
    const popular = await publish(a);
    const quiet = await publish(b);
    await env.DB.prepare("UPDATE posts SET like_count = 40, comment_count = 10, save_count = 5 WHERE id = ?")
      .bind(popular.id)
      .run();
    const chrono = await feedIds(reader);
    expect(chrono.ids).toEqual([quiet.id, popular.id]);
    expect((await feedIds(reader, "?mode=ranked")).ids).toEqual([popular.id, quiet.id]);

    // The reader has liked and commented on c's posts before: c's new post outranks d's twin.
    const [c, d] = [await createUser(), await createUser()];
    await follow(reader, c);
    await follow(reader, d);
    const old = await publish(c);
    await api("POST", `/v1/posts/${old.id}/like`, { token: reader.accessToken });
    await api("POST", `/v1/posts/${old.id}/comments`, { token: reader.accessToken, body: { body: "love it" } });
    await env.DB.prepare("UPDATE posts SET created_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 30 * 86_400_000).toISOString(), old.id)
      .run();
    const fromC = await publish(c);
    const fromD = await publish(d);
    const ranked = (await feedIds(reader, "?mode=ranked&limit=50")).ids;
    expect(ranked.indexOf(fromC.id)).toBeLessThan(ranked.indexOf(fromD.id));
  });

  it("pages through a frozen snapshot: no duplicates while the scores move underneath", async () => {
    const { a, b, reader } = await setup();
    const posts = [await publish(a), await publish(b), await publish(a)];
    const first = await feedIds(reader, "?mode=ranked&limit=2");
    expect(first.ids).toHaveLength(2);
    // Make the post not yet seen the most popular: a live re-rank would move it to the top.
    const unseen = posts.map((p) => p.id).find((id) => !first.ids.includes(id)) ?? "";
    await env.DB.prepare("UPDATE posts SET like_count = 1000 WHERE id = ?").bind(unseen).run();
    const second = await feedIds(reader, `?mode=ranked&limit=2&cursor=${first.next}`);
    expect(second.ids).toEqual([unseen]);
    expect(second.next).toBeNull();
  });

  it("refuses another reader's or an expired snapshot cursor (400)", async () => {
    const { a, reader } = await setup();
    await publish(a);
    await publish(a);
    const first = await feedIds(reader, "?mode=ranked&limit=1");
    const other = await createUser();
    await expectProblem(
      await api("GET", `/v1/feed?mode=ranked&cursor=${first.next}`, { token: other.accessToken }),
      400,
      "invalid_cursor",
    );
    await env.DB.prepare("DELETE FROM feed_snapshots WHERE user_id = ?").bind(reader.id).run();
    await expectProblem(
      await api("GET", `/v1/feed?mode=ranked&cursor=${first.next}`, { token: reader.accessToken }),
      400,
      "invalid_cursor",
    );
  });

  it("scores as documented", async () => {
    const { rankScore } = await import("../../src/features/feed/feed.service");
    const base = { likes: 0, comments: 0, saves: 0, ageHours: 0, interactions: 0 };
    expect(rankScore(base)).toBe(1);
    expect(rankScore({ ...base, comments: 1 })).toBeCloseTo(rankScore({ ...base, likes: 2 }));
    expect(rankScore({ ...base, saves: 1 })).toBeCloseTo(rankScore({ ...base, likes: 3 }));
    expect(rankScore({ ...base, ageHours: 24 })).toBeCloseTo(Math.exp(-1));
    expect(rankScore({ ...base, interactions: 5 })).toBeGreaterThan(rankScore(base));
  });
});
