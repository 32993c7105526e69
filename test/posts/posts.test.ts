import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { type PostBody, publish, readyMedia } from "../helpers/posts";

const getPost = (id: string, user?: TestUser) => api("GET", `/v1/posts/${id}`, { token: user?.accessToken });

describe("POST /v1/posts", () => {
  describe("happy", () => {
    it("publishes a carousel with caption, alt texts, Unicode hashtags and mentions", async () => {
      const alice = await createUser();
      const friend = await createUser({ username: `user.name_${Date.now().toString(36).slice(-4)}` });
      const media = [await readyMedia(alice), await readyMedia(alice)];
      const post = await publish(alice, {
        media_ids: media,
        caption: `Morning #Café #日本 #café #2024 with @${friend.username.toUpperCase()}. and @nobody_at_all`,
        alt_texts: ["A cup", "A street"],
        location: "Kyoto",
      });
      expect(post.author.id).toBe(alice.id);
      expect(post.audience).toBe("public");
      expect(post.hashtags).toEqual(["café", "日本"]);
      expect(post.mentions).toEqual([friend.username]);
      expect(post.media.map((m) => [m.id, m.alt_text])).toEqual([
        [media[0], "A cup"],
        [media[1], "A street"],
      ]);
      expect(Object.keys(post.media[0]?.urls ?? {}).sort()).toEqual(["large", "medium", "small", "thumb"]);
      expect(post.viewer).toEqual({ liked: false, saved: false });
      const me = (await (await api("GET", "/v1/me", { token: alice.accessToken })).json()) as { posts_count: number };
      expect(me.posts_count).toBe(1);
      const tag = await env.DB.prepare("SELECT post_count FROM hashtags WHERE tag = 'café'").first<{
        post_count: number;
      }>();
      expect(tag?.post_count).toBeGreaterThanOrEqual(1);
    });

    it("defaults the audience to followers for a private account", async () => {
      const carol = await createUser();
      await makePrivate(carol);
      expect((await publish(carol)).audience).toBe("followers");
    });

    it("replays an Idempotency-Key: same post, nothing new, even under concurrent retries", async () => {
      const alice = await createUser();
      const body = { media_ids: [await readyMedia(alice)], caption: "once" };
      const send = () =>
        api("POST", "/v1/posts", { token: alice.accessToken, body, headers: { "idempotency-key": "k-123" } });
      const responses = await Promise.all([send(), send(), send()]);
      const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as PostBody).id));
      expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(new Set(ids).size).toBe(1);
      const again = await send();
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(((await again.json()) as PostBody).id).toBe(ids[0]);
      const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM posts WHERE author_id = ?")
        .bind(alice.id)
        .first<{ n: number }>();
      expect(count?.n).toBe(1);
      const other = await api("POST", "/v1/posts", {
        token: alice.accessToken,
        body: { ...body, caption: "different" },
        headers: { "idempotency-key": "k-123" },
      });
      await expectProblem(other, 422, "validation_failed");
    });
  });

  describe("errors", () => {
    it("answers 422 for media that is not the author's, not ready, repeated or already used", async () => {
      const [alice, mallory] = [await createUser(), await createUser()];
      const theirs = await readyMedia(mallory);
      const mine = await readyMedia(alice);
      const pending = await readyMedia(alice);
      await env.DB.prepare("UPDATE media SET status = 'processing' WHERE id = ?").bind(pending).run();
      const cases: [unknown, string][] = [
        [[theirs], "media_ids.0"],
        [["01JNOTHING00000000000000000"], "media_ids.0"],
        [[pending], "media_ids.0"],
        [[mine, mine], "media_ids.1"],
      ];
      for (const [media_ids, path] of cases) {
        const problem = await expectProblem(
          await api("POST", "/v1/posts", { token: alice.accessToken, body: { media_ids } }),
          422,
          "validation_failed",
        );
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      }
      await publish(alice, { media_ids: [mine] });
      await expectProblem(
        await api("POST", "/v1/posts", { token: alice.accessToken, body: { media_ids: [mine] } }),
        422,
        "validation_failed",
      );
      const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM posts WHERE author_id = ?")
        .bind(alice.id)
        .first<{ n: number }>();
      expect(count?.n).toBe(1);
    });

    it("answers 422 for caption, tag, carousel and field limits, and forged fields (mass assignment)", async () => {
      const alice = await createUser();
      const m = await readyMedia(alice);
      const tags31 = Array.from({ length: 31 }, (_, i) => `#t${i}x`).join(" ");
      const mentions21 = Array.from({ length: 21 }, (_, i) => `@u${i}`).join(" ");
      for (const body of [
        { media_ids: [m], caption: "x".repeat(2201) },
        { media_ids: [m], caption: tags31 },
        { media_ids: [m], caption: mentions21 },
        { media_ids: [] },
        { media_ids: Array.from({ length: 11 }, () => m) },
        { media_ids: [m], alt_texts: ["a", "b"] },
        { media_ids: [m], alt_texts: ["x".repeat(1001)] },
        { media_ids: [m], audience: "everyone" },
        { media_ids: [m], author_id: "someone" },
        { media_ids: [m], like_count: 999 },
      ]) {
        await expectProblem(
          await api("POST", "/v1/posts", { token: alice.accessToken, body }),
          422,
          "validation_failed",
        );
      }
      expect(
        await api("POST", "/v1/posts", {
          token: alice.accessToken,
          body: { media_ids: [m], caption: "é".repeat(2200) },
        }),
      ).toHaveProperty("status", 201);
    });
  });
});

describe("GET /v1/posts/{id}", () => {
  it("shows a public post to anyone, with viewer flags only for a signed-in viewer", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    const anon = (await (await getPost(post.id)).json()) as PostBody;
    expect(anon.viewer).toBeNull();
    await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken });
    const seen = (await (await getPost(post.id, bob)).json()) as PostBody;
    expect(seen.viewer).toEqual({ liked: true, saved: false });
    expect(seen.like_count).toBe(1);
  });

  it("answers 404 for a private account's post to non-followers, byte-identical to a missing post", async () => {
    const [carol, mallory, dave] = [await createUser(), await createUser(), await createUser()];
    await makePrivate(carol);
    const post = await publish(carol);
    const strip = async (r: Response) => ({
      status: r.status,
      body: { ...((await r.json()) as object), request_id: "" },
    });
    const missing = await strip(await getPost("01JNOSUCHPOST0000000000000", mallory));
    expect(await strip(await getPost(post.id, mallory))).toEqual(missing);
    expect(await strip(await getPost(post.id))).toEqual({ ...missing });
    await follow(dave, carol);
    expect((await getPost(post.id, dave)).status).toBe(404);
    await api("POST", `/v1/me/follow-requests/${dave.username}/approve`, { token: carol.accessToken });
    expect((await getPost(post.id, dave)).status).toBe(200);
    // Removed as a follower: access ends on the next read.
    await api("DELETE", `/v1/me/followers/${dave.username}`, { token: carol.accessToken });
    expect((await getPost(post.id, dave)).status).toBe(404);
  });

  it("shows a close-friends post to close friends only, not to other followers", async () => {
    const [alice, friend, follower] = [await createUser(), await createUser(), await createUser()];
    await follow(friend, alice);
    await follow(follower, alice);
    await api("PUT", `/v1/me/close-friends/${friend.username}`, { token: alice.accessToken });
    const post = await publish(alice, { audience: "close_friends" });
    expect((await getPost(post.id, friend)).status).toBe(200);
    expect((await getPost(post.id, follower)).status).toBe(404);
    expect((await getPost(post.id)).status).toBe(404);
    expect((await getPost(post.id, alice)).status).toBe(200);
  });

  it("hides posts across a block, both ways", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    const theirs = await publish(bob);
    await api("POST", `/v1/users/${bob.username}/block`, { token: alice.accessToken });
    expect((await getPost(post.id, bob)).status).toBe(404);
    expect((await getPost(theirs.id, alice)).status).toBe(404);
    await expectProblem(await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken }), 404, "not_found");
    await expectProblem(
      await api("POST", `/v1/posts/${post.id}/comments`, { token: bob.accessToken, body: { body: "hi" } }),
      404,
      "not_found",
    );
  });
});

describe("PATCH and DELETE /v1/posts/{id}", () => {
  it("lets only the author edit: tags are parsed again and counts move", async () => {
    const [alice, mallory] = [await createUser(), await createUser()];
    const post = await publish(alice, { caption: "#oldtag" });
    await expectProblem(
      await api("PATCH", `/v1/posts/${post.id}`, { token: mallory.accessToken, body: { caption: "hacked" } }),
      404,
      "not_found",
    );
    const res = await api("PATCH", `/v1/posts/${post.id}`, {
      token: alice.accessToken,
      body: { caption: "now #newtag" },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as PostBody).hashtags).toEqual(["newtag"]);
    const counts = await env.DB.prepare(
      "SELECT tag, post_count FROM hashtags WHERE tag IN ('oldtag', 'newtag') ORDER BY tag",
    ).all();
    expect(counts.results).toEqual([
      { tag: "newtag", post_count: 1 },
      { tag: "oldtag", post_count: 0 },
    ]);
    await expectProblem(
      await api("PATCH", `/v1/posts/${post.id}`, {
        token: alice.accessToken,
        body: { caption: "x", audience: "public" },
      }),
      422,
      "validation_failed",
    );
  });

  it("hides a deleted post at once, only for its author, and the queued clean-up removes its children", async () => {
    const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice, { caption: "#gone" });
    await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken });
    await api("POST", `/v1/posts/${post.id}/save`, { token: bob.accessToken });
    await api("POST", `/v1/posts/${post.id}/comments`, { token: bob.accessToken, body: { body: "nice" } });
    const mediaId = post.media[0]?.id ?? "";
    await env.MEDIA.put(`media/${alice.id}/${mediaId}/small.webp`, "x");

    await expectProblem(await api("DELETE", `/v1/posts/${post.id}`, { token: mallory.accessToken }), 404, "not_found");
    expect((await api("DELETE", `/v1/posts/${post.id}`, { token: alice.accessToken })).status).toBe(204);
    expect((await getPost(post.id, alice)).status).toBe(404);
    expect((await api("DELETE", `/v1/posts/${post.id}`, { token: alice.accessToken })).status).toBe(404);
    const me = (await (await api("GET", "/v1/me", { token: alice.accessToken })).json()) as { posts_count: number };
    expect(me.posts_count).toBe(0);

    const batch = createMessageBatch("edgegram-posts", [
      { id: "p1", timestamp: new Date(), attempts: 1, body: { type: "post.purge", post_id: post.id } },
      { id: "p2", timestamp: new Date(), attempts: 1, body: { type: "post.purge", post_id: post.id } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["p1", "p2"]);
    const left = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM likes WHERE post_id = ?1) + (SELECT COUNT(*) FROM saves WHERE post_id = ?1)
            + (SELECT COUNT(*) FROM comments WHERE post_id = ?1) + (SELECT COUNT(*) FROM post_media WHERE post_id = ?1)
            + (SELECT COUNT(*) FROM post_hashtags WHERE post_id = ?1) + (SELECT COUNT(*) FROM posts WHERE id = ?1)
            + (SELECT COUNT(*) FROM media WHERE id = ?2) AS n`,
    )
      .bind(post.id, mediaId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect((await env.MEDIA.list({ prefix: `media/${alice.id}/${mediaId}/` })).objects).toHaveLength(0);
  });
});

describe("GET /v1/users/{username}/posts", () => {
  it("lists newest first, showing each viewer only the audiences the policy allows", async () => {
    const [alice, friend, follower, stranger] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await follow(friend, alice);
    await follow(follower, alice);
    await api("PUT", `/v1/me/close-friends/${friend.username}`, { token: alice.accessToken });
    const pub = await publish(alice, { audience: "public" });
    const fol = await publish(alice, { audience: "followers" });
    const cf = await publish(alice, { audience: "close_friends" });
    const grid = async (viewer?: TestUser) => {
      const res = await api("GET", `/v1/users/${alice.username}/posts`, { token: viewer?.accessToken });
      return ((await res.json()) as { items: PostBody[] }).items.map((p) => p.id);
    };
    expect(await grid(alice)).toEqual([cf.id, fol.id, pub.id]);
    expect(await grid(friend)).toEqual([cf.id, fol.id, pub.id]);
    expect(await grid(follower)).toEqual([fol.id, pub.id]);
    expect(await grid(stranger)).toEqual([pub.id]);
    expect(await grid()).toEqual([pub.id]);
  });

  it("pages with a stable cursor and answers 404 for a private account's grid to non-followers", async () => {
    const carol = await createUser();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await publish(carol)).id);
    const first = (await (await api("GET", `/v1/users/${carol.username}/posts?limit=2`)).json()) as {
      items: PostBody[];
      next_cursor: string;
    };
    expect(first.items.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    await publish(carol);
    const second = (await (
      await api("GET", `/v1/users/${carol.username}/posts?limit=2&cursor=${first.next_cursor}`)
    ).json()) as {
      items: PostBody[];
      next_cursor: string | null;
    };
    expect(second.items.map((p) => p.id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
    await makePrivate(carol);
    await expectProblem(await api("GET", `/v1/users/${carol.username}/posts`), 404, "not_found");
  });
});
