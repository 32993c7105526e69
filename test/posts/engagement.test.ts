import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { makePrivate, usernames } from "../helpers/graph";
import { type PostBody, postCounters, publish } from "../helpers/posts";

interface CommentBody {
  id: string;
  reply_to: string | null;
  reply_count: number;
  body: string;
}

describe("likes", () => {
  it("counts exactly: 50 users liking in parallel give 50; one user liking 10 times gives 1", async () => {
    const alice = await createUser();
    const post = await publish(alice);
    const fans = await Promise.all(Array.from({ length: 50 }, () => createUser()));
    await Promise.all(fans.map((f) => api("POST", `/v1/posts/${post.id}/like`, { token: f.accessToken })));
    expect((await postCounters(post.id))?.like_count).toBe(50);
    const fan = fans[0];
    if (!fan) throw new Error("no fan");
    const repeats = await Promise.all(
      Array.from({ length: 10 }, () => api("POST", `/v1/posts/${post.id}/like`, { token: fan.accessToken })),
    );
    expect(await repeats[9]?.json()).toEqual({ liked: true, like_count: 50 });
    const unlikes = await Promise.all(
      Array.from({ length: 3 }, () => api("DELETE", `/v1/posts/${post.id}/like`, { token: fan.accessToken })),
    );
    expect(await unlikes[2]?.json()).toEqual({ liked: false, like_count: 49 });
  });

  it("lists likers newest first, without accounts blocked with the viewer", async () => {
    const [alice, bob, carol, viewer] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    const post = await publish(alice);
    await api("POST", `/v1/posts/${post.id}/like`, { token: bob.accessToken });
    await api("POST", `/v1/posts/${post.id}/like`, { token: carol.accessToken });
    expect(await usernames(await api("GET", `/v1/posts/${post.id}/likes`, { token: viewer.accessToken }))).toEqual([
      carol.username,
      bob.username,
    ]);
    await api("POST", `/v1/users/${carol.username}/block`, { token: viewer.accessToken });
    expect(await usernames(await api("GET", `/v1/posts/${post.id}/likes`, { token: viewer.accessToken }))).toEqual([
      bob.username,
    ]);
  });
});

describe("comments", () => {
  it("threads one level deep, lists oldest first, and keeps comment_count and reply_count", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    const comment = async (user: typeof alice, body: Record<string, string>) => {
      const res = await api("POST", `/v1/posts/${post.id}/comments`, { token: user.accessToken, body });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as CommentBody;
    };
    const first = await comment(bob, { body: "first!" });
    const second = await comment(carol, { body: "second" });
    const reply = await comment(alice, { body: "thanks", reply_to: first.id });
    const replyToReply = await comment(carol, { body: "+1", reply_to: reply.id });
    expect(replyToReply.reply_to).toBe(first.id);
    expect((await postCounters(post.id))?.comment_count).toBe(4);

    const top = (await (await api("GET", `/v1/posts/${post.id}/comments`)).json()) as { items: CommentBody[] };
    expect(top.items.map((c) => [c.id, c.reply_count])).toEqual([
      [first.id, 2],
      [second.id, 0],
    ]);
    const replies = (await (await api("GET", `/v1/posts/${post.id}/comments?reply_to=${first.id}`)).json()) as {
      items: CommentBody[];
    };
    expect(replies.items.map((c) => c.id)).toEqual([reply.id, replyToReply.id]);
  });

  it("lets the comment's author or the post's author delete, and nobody else; replies go with their comment", async () => {
    const [alice, bob, mallory] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    const post2 = (await (
      await api("POST", `/v1/posts/${post.id}/comments`, { token: bob.accessToken, body: { body: "mine" } })
    ).json()) as CommentBody;
    const other = (await (
      await api("POST", `/v1/posts/${post.id}/comments`, { token: bob.accessToken, body: { body: "rude" } })
    ).json()) as CommentBody;
    await api("POST", `/v1/posts/${post.id}/comments`, {
      token: mallory.accessToken,
      body: { body: "reply", reply_to: other.id },
    });
    expect((await postCounters(post.id))?.comment_count).toBe(3);

    await expectProblem(
      await api("DELETE", `/v1/comments/${post2.id}`, { token: mallory.accessToken }),
      404,
      "not_found",
    );
    expect((await api("DELETE", `/v1/comments/${post2.id}`, { token: bob.accessToken })).status).toBe(204);
    expect((await postCounters(post.id))?.comment_count).toBe(2);
    // The post's author removes someone else's comment, with its reply; racing deletes count once.
    const both = await Promise.all([
      api("DELETE", `/v1/comments/${other.id}`, { token: alice.accessToken }),
      api("DELETE", `/v1/comments/${other.id}`, { token: alice.accessToken }),
    ]);
    for (const res of both) expect([204, 404]).toContain(res.status);
    expect((await postCounters(post.id))?.comment_count).toBe(0);
    await expectProblem(
      await api("DELETE", `/v1/comments/${other.id}`, { token: alice.accessToken }),
      404,
      "not_found",
    );
  });

  it("answers 422 for an empty or 2,201-character body, a foreign reply_to, or unknown fields", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    const elsewhere = await publish(bob);
    const foreign = (await (
      await api("POST", `/v1/posts/${elsewhere.id}/comments`, { token: bob.accessToken, body: { body: "x" } })
    ).json()) as CommentBody;
    for (const body of [
      { body: "   " },
      { body: "x".repeat(2201) },
      { body: "x", reply_to: foreign.id },
      { body: "x", author_id: bob.id },
    ]) {
      await expectProblem(
        await api("POST", `/v1/posts/${post.id}/comments`, { token: bob.accessToken, body }),
        422,
        "validation_failed",
      );
    }
    expect((await postCounters(post.id))?.comment_count).toBe(0);
  });

  it(
    "answers 429 with retry-after on the 31st comment in a minute, storing none of it",
    WAITS_FOR_A_WINDOW,
    async () => {
      await startInOneWindow(60, 15_000);
      const [alice, bob] = [await createUser(), await createUser()];
      const post = await publish(alice);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await api("POST", `/v1/posts/${post.id}/comments`, {
          token: bob.accessToken,
          body: { body: `c${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses.every((s) => s === 201)).toBe(true);
      const limited = await api("POST", `/v1/posts/${post.id}/comments`, {
        token: bob.accessToken,
        body: { body: "one more" },
      });
      await expectProblem(limited, 429, "rate_limited");
      expect(limited.headers.get("retry-after")).toBe("60");
      expect((await postCounters(post.id))?.comment_count).toBe(30);
      // Other accounts have their own budget.
      const other = await api("POST", `/v1/posts/${post.id}/comments`, {
        token: alice.accessToken,
        body: { body: "mine" },
      });
      expect(other.status).toBe(201);
    },
  );
});

describe("saves", () => {
  it("saves idempotently, lists newest save first, and drops posts the caller may no longer see", async () => {
    const [alice, carol, bob] = [await createUser(), await createUser(), await createUser()];
    const a = await publish(alice);
    const c = await publish(carol);
    for (const id of [a.id, c.id, c.id]) {
      expect(await (await api("POST", `/v1/posts/${id}/save`, { token: bob.accessToken })).json()).toEqual({
        saved: true,
      });
    }
    const saved = async () =>
      (
        (await (await api("GET", "/v1/me/saved", { token: bob.accessToken })).json()) as { items: PostBody[] }
      ).items.map((p) => p.id);
    expect(await saved()).toEqual([c.id, a.id]);
    await makePrivate(carol);
    expect(await saved()).toEqual([a.id]);
    await api("DELETE", `/v1/posts/${a.id}/save`, { token: bob.accessToken });
    expect(await saved()).toEqual([]);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM saves WHERE user_id = ?")
      .bind(bob.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});
