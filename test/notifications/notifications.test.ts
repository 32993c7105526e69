import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { notify } from "../../src/features/notifications/notifications.service";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { groupsOf, setSettings, settle, storedFor, unreadOf } from "../helpers/notifications";
import { publish } from "../helpers/posts";

const like = (user: TestUser, postId: string) => api("POST", `/v1/posts/${postId}/like`, { token: user.accessToken });
const unlike = (user: TestUser, postId: string) =>
  api("DELETE", `/v1/posts/${postId}/like`, { token: user.accessToken });

async function comment(user: TestUser, postId: string, body: string, replyTo?: string): Promise<{ id: string }> {
  const res = await api("POST", `/v1/posts/${postId}/comments`, {
    token: user.accessToken,
    body: replyTo === undefined ? { body } : { body, reply_to: replyTo },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string };
}

/** Makes an account look 60 days old, so it is not a stranger by age alone. */
async function age(user: TestUser): Promise<void> {
  const old = new Date(Date.now() - 60 * 24 * 3600_000).toISOString();
  await env.DB.prepare("UPDATE users SET created_at = ?1 WHERE id = ?2").bind(old, user.id).run();
}

const types = (items: { type: string }[]) => items.map((g) => g.type);

afterEach(() => setClock(null));

describe("each event type, end to end over HTTP", () => {
  it("like: the post's author gets a group with the liker and the post's thumbnail", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    expect((await like(bob, post.id)).status).toBe(200);
    await settle(bob);
    const { items } = await groupsOf(alice);
    expect(items).toHaveLength(1);
    const [group] = items;
    expect(group).toMatchObject({ type: "like", actor_count: 1, unread: true, comment: null, text: null });
    expect(group?.actors.map((a) => a.username)).toEqual([bob.username]);
    expect(group?.post?.id).toBe(post.id);
    expect(group?.post?.thumbnail).toMatch(/^http:\/\/localhost\/media\//);
    expect(group?.post?.thumbhash).toBe("AAAA");
  });

  it("comment, reply and mention in a comment: each person is told once, with the most specific type", async () => {
    const [alice, bob, carol, dave] = [await createUser(), await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    const first = await comment(bob, post.id, "Lovely light");
    // Carol replies to Bob, mentioning Alice (already told as the post's author) and Dave.
    const reply = await comment(
      carol,
      post.id,
      `@${bob.username} agreed! @${alice.username} @${dave.username}`,
      first.id,
    );
    await settle(bob, carol);

    const forAlice = (await groupsOf(alice)).items;
    expect(types(forAlice)).toEqual(["comment", "comment"]);
    expect(forAlice[0]?.comment?.id).toBe(reply.id);
    expect(forAlice[1]?.comment).toEqual({ id: first.id, excerpt: "Lovely light" });
    const forBob = (await groupsOf(bob)).items;
    expect(types(forBob)).toEqual(["reply"]);
    expect(forBob[0]?.actors[0]?.username).toBe(carol.username);
    expect(forBob[0]?.comment?.id).toBe(reply.id);
    const forDave = (await groupsOf(dave)).items;
    expect(types(forDave)).toEqual(["mention"]);
    expect(forDave[0]?.post?.id).toBe(post.id);
    expect(await storedFor(carol)).toEqual([]);
  });

  it("mention in a caption, and an edit tells only the newly mentioned", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice, { caption: `with @${bob.username}` });
    await settle(alice);
    expect(types((await groupsOf(bob)).items)).toEqual(["mention"]);
    const res = await api("PATCH", `/v1/posts/${post.id}`, {
      token: alice.accessToken,
      body: { caption: `with @${bob.username} and @${carol.username}` },
    });
    expect(res.status).toBe(200);
    await settle(alice);
    expect(types((await groupsOf(bob)).items)).toEqual(["mention"]);
    expect(types((await groupsOf(carol)).items)).toEqual(["mention"]);
  });

  it("follow, follow request and follow accepted", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await follow(bob, alice);
    await makePrivate(carol);
    expect(await follow(bob, carol)).toBe("requested");
    await settle(bob);
    expect(types((await groupsOf(alice)).items)).toEqual(["follow"]);
    expect(types((await groupsOf(carol)).items)).toEqual(["follow_request"]);
    const approve = await api("POST", `/v1/me/follow-requests/${bob.username}/approve`, { token: carol.accessToken });
    expect(approve.status).toBe(204);
    await settle(carol);
    const [accepted] = (await groupsOf(bob)).items;
    expect(accepted).toMatchObject({ type: "follow_accepted", actor_count: 1 });
    expect(accepted?.actors[0]?.username).toBe(carol.username);
  });

  it("a follow, request or acceptance that no longer holds when its event is consumed tells nobody", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const platform = platformFor(env);
    const at = new Date().toISOString();
    // As if Bob had followed Alice, asked Carol and been accepted, and undone it all before the
    // events were consumed: none of the three relationships exists now.
    await notify(platform, { kind: "follow", actor_id: bob.id, recipient_id: alice.id, at });
    await notify(platform, { kind: "follow_request", actor_id: bob.id, recipient_id: carol.id, at });
    await notify(platform, { kind: "follow_accepted", actor_id: carol.id, recipient_id: bob.id, at });
    for (const u of [alice, bob, carol]) expect(await storedFor(u)).toEqual([]);
  });

  it("a system notification addressed by another feature, with its text", async () => {
    const alice = await createUser();
    await notify(platformFor(env), {
      kind: "direct",
      type: "system",
      recipient_id: alice.id,
      actor_id: null,
      post_id: null,
      source_id: "welcome-1",
      text: "Welcome to Edgegram",
      at: new Date().toISOString(),
    });
    const [group] = (await groupsOf(alice)).items;
    expect(group).toMatchObject({ type: "system", text: "Welcome to Edgegram", actors: [], actor_count: 0 });
  });

  it("never for one's own actions", async () => {
    const alice = await createUser();
    const post = await publish(alice, { caption: `me @${alice.username}` });
    await like(alice, post.id);
    await comment(alice, post.id, `note to self @${alice.username}`);
    await settle(alice);
    expect(await storedFor(alice)).toEqual([]);
  });
});

describe("grouping (Mastodon: hour buckets, a group spans at most 12 hours)", () => {
  it("likes of one post are one group: 3 most recent actors, newest first, and the full count", async () => {
    const alice = await createUser();
    const post = await publish(alice);
    const likers = [await createUser(), await createUser(), await createUser(), await createUser()];
    for (const liker of likers) {
      await like(liker, post.id);
      await settle(liker);
    }
    const { items } = await groupsOf(alice);
    expect(items).toHaveLength(1);
    expect(items[0]?.actor_count).toBe(4);
    expect(items[0]?.actors.map((a) => a.username)).toEqual(
      likers
        .slice(1)
        .reverse()
        .map((u) => u.username),
    );
    expect(await unreadOf(alice)).toBe(1);
  });

  it("follows group too; comments never do", async () => {
    const alice = await createUser();
    const post = await publish(alice);
    const [bob, carol] = [await createUser(), await createUser()];
    await follow(bob, alice);
    await follow(carol, alice);
    await comment(bob, post.id, "one");
    await comment(bob, post.id, "two");
    await settle(bob, carol);
    const { items } = await groupsOf(alice);
    expect(types(items).sort()).toEqual(["comment", "comment", "follow"]);
    expect(items.find((g) => g.type === "follow")?.actor_count).toBe(2);
  });

  it("a like 11 hours after the group's first bucket joins it; one 13 hours after starts a new group", async () => {
    const alice = await createUser();
    const post = await publish(alice);
    const [a, b, c] = [await createUser(), await createUser(), await createUser()];
    const platform = platformFor(env);
    const start = Date.UTC(2026, 10, 1, 8, 0, 0);
    const likeAt = (actor: TestUser, hours: number) =>
      notify(platform, {
        kind: "like",
        actor_id: actor.id,
        post_id: post.id,
        at: new Date(start + hours * 3600_000).toISOString(),
      });
    await likeAt(a, 0.5);
    await likeAt(b, 11.9);
    await likeAt(c, 13);
    const { items } = await groupsOf(alice);
    expect(items.map((g) => g.actor_count)).toEqual([1, 2]);
    expect(items[0]?.actors[0]?.username).toBe(c.username);
    expect(items[1]?.actors.map((u) => u.username)).toEqual([b.username, a.username]);
    expect(items[0]?.group_key).not.toBe(items[1]?.group_key);
  });

  it("like → unlike → like inside the window makes one notification", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await like(bob, post.id);
    await settle(bob);
    await unlike(bob, post.id);
    await like(bob, post.id);
    await settle(bob);
    expect(await storedFor(alice)).toHaveLength(1);
    expect((await groupsOf(alice)).items[0]?.actor_count).toBe(1);
  });

  it("redelivery writes nothing twice", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await comment(bob, post.id, "hello");
    await follow(bob, alice);
    await settle(bob);
    await settle(bob);
    await settle(bob);
    expect((await storedFor(alice)).map((n) => n.type).sort()).toEqual(["comment", "follow"]);
    const groups = await env.DB.prepare("SELECT SUM(count) AS n FROM notification_groups WHERE recipient_id = ?1")
      .bind(alice.id)
      .first<{ n: number }>();
    expect(groups?.n).toBe(2);
  });
});

describe("deleting the target removes its notifications from every list", () => {
  it("a deleted post takes its likes, comments and mentions with it", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice, { caption: `hi @${carol.username}` });
    await like(bob, post.id);
    await comment(bob, post.id, `look @${carol.username}`);
    await follow(bob, alice);
    await settle(alice, bob);
    expect(types((await groupsOf(alice)).items).sort()).toEqual(["comment", "follow", "like"]);
    expect((await groupsOf(carol)).items).toHaveLength(2);
    expect((await api("DELETE", `/v1/posts/${post.id}`, { token: alice.accessToken })).status).toBe(204);
    expect(types((await groupsOf(alice)).items)).toEqual(["follow"]);
    expect((await groupsOf(carol)).items).toEqual([]);
    expect(await unreadOf(alice)).toBe(1);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM notifications WHERE post_id = ?1")
      .bind(post.id)
      .first();
    expect(left?.n).toBe(0);
  });

  it("an event consumed after its post was deleted writes nothing", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await like(bob, post.id);
    await comment(bob, post.id, "quick");
    expect((await api("DELETE", `/v1/posts/${post.id}`, { token: alice.accessToken })).status).toBe(204);
    await settle(bob);
    expect(await storedFor(alice)).toEqual([]);
  });

  it("a deleted comment takes its own and its replies' notifications", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    const top = await comment(bob, post.id, "first");
    await comment(carol, post.id, "reply", top.id);
    const other = await comment(carol, post.id, "separate");
    await settle(bob, carol);
    expect((await groupsOf(alice)).items).toHaveLength(3);
    expect(types((await groupsOf(bob)).items)).toEqual(["reply"]);
    expect((await api("DELETE", `/v1/comments/${top.id}`, { token: bob.accessToken })).status).toBe(204);
    expect((await groupsOf(alice)).items.map((g) => g.comment?.id)).toEqual([other.id]);
    expect((await groupsOf(bob)).items).toEqual([]);
  });
});

describe("the policy", () => {
  it("never across a block, either way: a block removes what exists and stops what was on its way", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await follow(bob, alice);
    await settle(bob);
    await like(bob, post.id);
    // Alice blocks Bob after his like, before its event is consumed.
    expect((await api("POST", `/v1/users/${bob.username}/block`, { token: alice.accessToken })).status).toBe(200);
    await settle(bob);
    expect(await storedFor(alice)).toEqual([]);
    expect((await groupsOf(alice)).items).toEqual([]);
  });

  it("a block by the recipient's actor counts too (either way)", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await like(bob, post.id);
    expect((await api("POST", `/v1/users/${alice.username}/block`, { token: bob.accessToken })).status).toBe(200);
    await settle(bob);
    expect(await storedFor(alice)).toEqual([]);
  });

  it("never from a muted account", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    expect((await api("POST", `/v1/users/${bob.username}/mute`, { token: alice.accessToken })).status).toBe(200);
    await like(bob, post.id);
    await like(carol, post.id);
    await settle(bob, carol);
    expect((await storedFor(alice)).map((n) => n.actor_id)).toEqual([carol.id]);
  });

  it("never about a post the recipient cannot see: a mention in a followers-only post of a non-follower", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await follow(carol, alice);
    await publish(alice, { caption: `@${bob.username} @${carol.username}`, audience: "followers" });
    await settle(alice);
    expect(await storedFor(bob)).toEqual([]);
    expect(types((await groupsOf(carol)).items)).toEqual(["mention"]);
  });

  it("a removed follower's like stays with the owner; a removed follower never sees the post through a notification", async () => {
    const [alice, liker, third, dave] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await makePrivate(alice);
    for (const u of [liker, third, dave]) {
      await follow(u, alice);
      expect(
        (await api("POST", `/v1/me/follow-requests/${u.username}/approve`, { token: alice.accessToken })).status,
      ).toBe(204);
    }
    const post = await publish(alice);
    await like(liker, post.id);
    await comment(dave, post.id, `@${third.username} see this`);
    await settle(liker, dave);
    expect(types((await groupsOf(third)).items)).toEqual(["mention"]);

    for (const u of [liker, third]) {
      const res = await api("DELETE", `/v1/me/followers/${u.username}`, { token: alice.accessToken });
      expect(res.status).toBe(204);
    }
    // The owner still sees who liked her post.
    const forAlice = (await groupsOf(alice)).items;
    expect(forAlice.find((g) => g.type === "like")?.actors[0]?.username).toBe(liker.username);
    // The third party's mention is about a post they may no longer see: it is gone from their list.
    expect((await groupsOf(third)).items).toEqual([]);
    expect(JSON.stringify(await groupsOf(third))).not.toContain(post.id);
  });
});

describe("settings and the stranger policy", () => {
  it("defaults: everything from anyone, strangers accepted", async () => {
    const alice = await createUser();
    const res = await api("GET", "/v1/me/notification-settings", { token: alice.accessToken });
    expect(await res.json()).toEqual({
      like: "all",
      comment: "all",
      reply: "all",
      mention: "all",
      follow: "all",
      follow_request: "all",
      follow_accepted: "all",
      live_started: "all",
      strangers: "accept",
    });
  });

  it("filter: strangers (not followed, or younger than 30 days) go to the filtered folder", async () => {
    const [alice, stranger, friend, newFriend] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    await age(stranger);
    await age(friend);
    await follow(alice, friend);
    await follow(alice, newFriend);
    await setSettings(alice, { strangers: "filter" });
    const post = await publish(alice);
    for (const u of [stranger, friend, newFriend]) await like(u, post.id);
    await settle(stranger, friend, newFriend);
    const main = (await groupsOf(alice)).items;
    expect(main.flatMap((g) => g.actors.map((a) => a.username))).toEqual([friend.username]);
    const filtered = (await groupsOf(alice, "?folder=filtered")).items;
    expect(filtered.flatMap((g) => g.actors.map((a) => a.username)).sort()).toEqual(
      [stranger.username, newFriend.username].sort(),
    );
    // Filtered notifications are not grouped and not counted as unread.
    expect(filtered).toHaveLength(2);
    expect(await unreadOf(alice)).toBe(1);
  });

  it("drop, off and following", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await age(carol);
    await follow(alice, carol);
    const post = await publish(alice);
    await setSettings(alice, { strangers: "drop", comment: "off", like: "following" });
    await like(bob, post.id);
    await like(carol, post.id);
    await comment(carol, post.id, "hi");
    await settle(bob, carol);
    expect(await storedFor(alice)).toEqual([{ type: "like", actor_id: carol.id, folder: "main" }]);
  });

  it("bad settings are refused and change nothing", async () => {
    const alice = await createUser();
    for (const body of [{ like: "sometimes" }, { moderation: "off" }, { strangers: "maybe" }, { extra: "all" }]) {
      const res = await api("PATCH", "/v1/me/notification-settings", { token: alice.accessToken, body });
      await expectProblem(res, 422, "validation_failed");
    }
    const res = await api("GET", "/v1/me/notification-settings", { token: alice.accessToken });
    expect(((await res.json()) as { like: string }).like).toBe("all");
  });
});

describe("read markers and the unread count", () => {
  it("moves forward only, counts unread groups, and refuses ids that are not yours", async () => {
    const [alice, bob, carol, eve] = [await createUser(), await createUser(), await createUser(), await createUser()];
    const post = await publish(alice);
    await comment(bob, post.id, "one");
    await settle(bob);
    await comment(carol, post.id, "two");
    await settle(carol);
    const [newer, older] = (await groupsOf(alice)).items;
    expect(await unreadOf(alice)).toBe(2);

    const read = (user: TestUser, id: string | undefined) =>
      api("POST", "/v1/notifications/read", { token: user.accessToken, body: { last_read_id: id } });
    let res = await read(alice, older?.most_recent_notification_id);
    expect(((await res.json()) as { last_read_id: string }).last_read_id).toBe(older?.most_recent_notification_id);
    expect(await unreadOf(alice)).toBe(1);
    expect((await groupsOf(alice)).items.map((g) => g.unread)).toEqual([true, false]);
    await read(alice, newer?.most_recent_notification_id);
    expect(await unreadOf(alice)).toBe(0);
    // Backwards: the marker stays.
    res = await read(alice, older?.most_recent_notification_id);
    expect(((await res.json()) as { last_read_id: string }).last_read_id).toBe(newer?.most_recent_notification_id);

    // Eve cannot move her marker to Alice's notification, nor to nonsense.
    await expectProblem(await read(eve, newer?.most_recent_notification_id), 422, "validation_failed");
    await expectProblem(await read(eve, "nope"), 422, "validation_failed");
    const marker = await env.DB.prepare("SELECT COUNT(*) AS n FROM notification_markers WHERE user_id = ?1")
      .bind(eve.id)
      .first();
    expect(marker?.n).toBe(0);
  });
});

describe("the unread count's cap", () => {
  it("is exact up to 1,000 groups and stops there", async () => {
    const alice = await createUser();
    const rows = (n: number, from: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => `ungrouped-cap-${from + i}`));
    const insert = (n: number, from: number) =>
      env.DB.prepare(
        `INSERT INTO notification_groups (recipient_id, group_key, folder, type, prefix, bucket, count, latest_id, latest_at)
         SELECT ?1, value, 'main', 'system', 'ungrouped', 0, 1, 'Z' || value, ?2 FROM json_each(?3)`,
      )
        .bind(alice.id, new Date().toISOString(), rows(n, from))
        .run();
    await insert(999, 0);
    expect(await unreadOf(alice)).toBe(999);
    await insert(1, 999);
    expect(await unreadOf(alice)).toBe(1000);
    await insert(6, 1000);
    expect(await unreadOf(alice)).toBe(1000);
  });
});

describe("the list: paging, filters, bad input", () => {
  it("keyset pages stay stable while new notifications arrive", async () => {
    const alice = await createUser();
    const post = await publish(alice);
    const commenters = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    for (const u of commenters) {
      await comment(u, post.id, `from ${u.username}`);
      await settle(u);
    }
    const page1 = await groupsOf(alice, "?limit=2");
    expect(page1.items).toHaveLength(2);
    // Two more arrive between page 1 and page 2.
    const late = [await createUser(), await createUser()];
    for (const u of late) {
      await comment(u, post.id, "late");
      await settle(u);
    }
    const page2 = await groupsOf(alice, `?limit=2&cursor=${page1.next_cursor}`);
    const page3 = await groupsOf(alice, `?limit=2&cursor=${page2.next_cursor}`);
    const seen = [...page1.items, ...page2.items, ...page3.items].map((g) => g.actors[0]?.username);
    expect(seen).toEqual(commenters.map((u) => u.username).reverse());
    expect(page3.next_cursor).toBeNull();
  });

  it("?types= narrows the list; unknown types and forged cursors are refused", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const post = await publish(alice);
    await like(bob, post.id);
    await follow(bob, alice);
    await comment(bob, post.id, "hey");
    await settle(bob);
    expect(types((await groupsOf(alice, "?types=follow,like")).items).sort()).toEqual(["follow", "like"]);
    expect(types((await groupsOf(alice, "?types=comment")).items)).toEqual(["comment"]);
    for (const query of ["?types=likes", "?types=like,,", "?types=", "?folder=spam", "?limit=0"]) {
      await expectProblem(
        await api("GET", `/v1/notifications${query}`, { token: alice.accessToken }),
        422,
        "validation_failed",
      );
    }
    const page = await groupsOf(alice, "?limit=1");
    // A cursor from another list (another filter) or altered is refused.
    for (const cursor of [`${page.next_cursor}x`, "abc.def"]) {
      await expectProblem(
        await api("GET", `/v1/notifications?limit=1&cursor=${cursor}`, { token: alice.accessToken }),
        400,
        "invalid_cursor",
      );
    }
    await expectProblem(
      await api("GET", `/v1/notifications?types=like&cursor=${page.next_cursor}`, { token: alice.accessToken }),
      400,
      "invalid_cursor",
    );
  });
});
