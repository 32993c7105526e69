import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as graphRepo from "../../src/features/graph/graph.repo";
import { platformFor } from "../../src/platform";
import { newId } from "../../src/platform/ids";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { counters, follow, makePrivate, relationship, usernames } from "../helpers/graph";

const block = (a: { accessToken: string }, b: { username: string }) =>
  api("POST", `/v1/users/${b.username}/block`, { token: a.accessToken });

describe("POST /v1/users/{username}/block", () => {
  describe("happy", () => {
    it("removes follows both ways with counters, requests and close-friend entries", async () => {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      await follow(alice, bob);
      await follow(bob, alice);
      await api("PUT", `/v1/me/close-friends/${bob.username}`, { token: alice.accessToken });
      await api("PUT", `/v1/me/close-friends/${alice.username}`, { token: bob.accessToken });
      await makePrivate(carol);
      await follow(bob, carol);

      const res = await block(alice, bob);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ blocking: true });
      expect(await counters(alice)).toEqual({ followers_count: 0, following_count: 0 });
      expect(await counters(bob)).toEqual({ followers_count: 0, following_count: 0 });
      const leftovers = await env.DB.prepare(
        `SELECT (SELECT COUNT(*) FROM follows WHERE follower_id IN (?1, ?2) AND followee_id IN (?1, ?2))
              + (SELECT COUNT(*) FROM close_friends WHERE user_id IN (?1, ?2) AND friend_id IN (?1, ?2)) AS n`,
      )
        .bind(alice.id, bob.id)
        .first<{ n: number }>();
      expect(leftovers?.n).toBe(0);
      // A block between two accounts leaves others' edges alone.
      expect((await relationship(bob, carol)).body.relationship?.requested).toBe(true);

      // Blocking again changes nothing and still answers the state.
      expect(await (await block(alice, bob)).json()).toEqual({ blocking: true });
    });

    it("hides each side from the other: profile, lists, follows, mutes, close friends answer 404", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await block(alice, bob);
      for (const [viewer, other] of [
        [alice, bob],
        [bob, alice],
      ] as const) {
        await expectProblem(
          await api("GET", `/v1/users/${other.username}`, { token: viewer.accessToken }),
          404,
          "not_found",
        );
        await expectProblem(
          await api("GET", `/v1/users/${other.username}/followers`, { token: viewer.accessToken }),
          404,
          "not_found",
        );
        await expectProblem(
          await api("POST", `/v1/users/${other.username}/follow`, { token: viewer.accessToken }),
          404,
          "not_found",
        );
        await expectProblem(
          await api("PUT", `/v1/me/close-friends/${other.username}`, { token: viewer.accessToken }),
          404,
          "not_found",
        );
      }
      // The 404 for a blocked account is the same as for an account that does not exist.
      const blocked = await api("GET", `/v1/users/${alice.username}`, { token: bob.accessToken });
      const missing = await api("GET", "/v1/users/never_existed_at_all", { token: bob.accessToken });
      const strip = async (r: Response) => ({ ...((await r.json()) as object), request_id: "" });
      expect(await strip(blocked)).toEqual(await strip(missing));
      // Others still see both.
      const carol = await createUser();
      expect((await api("GET", `/v1/users/${alice.username}`, { token: carol.accessToken })).status).toBe(200);
    });

    it("drops blocked accounts from the other lists they would appear in", async () => {
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      await follow(bob, carol);
      await follow(alice, carol);
      await block(carol, bob);
      expect(
        await usernames(await api("GET", `/v1/users/${carol.username}/followers`, { token: alice.accessToken })),
      ).toEqual([alice.username]);
      await block(alice, bob);
      expect(await usernames(await api("GET", "/v1/me/blocks", { token: alice.accessToken }))).toEqual([bob.username]);
    });

    it("unblock lifts the 404 but restores no follow", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await follow(bob, alice);
      await block(alice, bob);
      const res = await api("DELETE", `/v1/users/${bob.username}/block`, { token: alice.accessToken });
      expect(await res.json()).toEqual({ blocking: false });
      const rel = await relationship(bob, alice);
      expect(rel.status).toBe(200);
      expect(rel.body.relationship).toMatchObject({ following: false, followed_by: false });
      expect(await follow(bob, alice)).toBe("following");
    });
  });

  describe("errors", () => {
    it("answers 422 for a body with fields and 415 for a non-JSON body, and blocks nothing", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      const withField = await api("POST", `/v1/users/${bob.username}/block`, {
        token: alice.accessToken,
        body: { x: 1 },
      });
      const problem = await expectProblem(withField, 422, "validation_failed");
      expect(problem.errors).toEqual([{ path: "x", message: "Unknown field" }]);
      const text = await api("POST", `/v1/users/${bob.username}/block`, {
        token: alice.accessToken,
        rawBody: "please",
        headers: { "content-type": "text/plain" },
      });
      await expectProblem(text, 415, "unsupported_media_type");
      expect((await relationship(alice, bob)).body.relationship?.blocking).toBe(false);
      // An empty object is fine.
      expect(
        (await api("POST", `/v1/users/${bob.username}/block`, { token: alice.accessToken, body: {} })).status,
      ).toBe(200);
    });

    it("answers 422 for blocking yourself and 404 for nobody", async () => {
      const alice = await createUser();
      await expectProblem(await block(alice, alice), 422, "validation_failed");
      await expectProblem(await block(alice, { username: "ghost_account" }), 404, "not_found");
    });
  });

  describe("races (repo level)", () => {
    it("leaves no follow edge, either way, once a block that raced follows exists; counters stay exact", async () => {
      // D1 runs each batch as one transaction, one at a time: a follow that lands first is removed
      // by the block's batch, and one that lands after finds the block in its own INSERT … SELECT.
      const { db, outbox } = platformFor(env);
      const [alice, bob] = [await createUser(), await createUser()];
      const edges = async () =>
        (
          await env.DB.prepare(
            "SELECT COUNT(*) AS n FROM follows WHERE (follower_id = ?1 AND followee_id = ?2) OR (follower_id = ?2 AND followee_id = ?1)",
          )
            .bind(alice.id, bob.id)
            .first<{ n: number }>()
        )?.n;
      for (let round = 0; round < 40; round++) {
        const now = new Date().toISOString();
        const follows = [
          graphRepo.follow(db, { followerId: bob.id, followeeId: alice.id, edgeId: newId(), now }, outbox, []),
          graphRepo.follow(db, { followerId: alice.id, followeeId: bob.id, edgeId: newId(), now }, outbox, []),
        ];
        const blocking = graphRepo.block(db, { blockerId: alice.id, blockedId: bob.id, id: newId(), now });
        // The block goes first, in the middle or last among the calls made at once.
        const calls =
          round % 3 === 0
            ? [blocking, ...follows]
            : round % 3 === 1
              ? [follows[0], blocking, follows[1]]
              : [...follows, blocking];
        await Promise.all(calls);
        expect(await edges(), `round ${round}`).toBe(0);
        expect(await counters(alice), `round ${round}`).toEqual({ followers_count: 0, following_count: 0 });
        expect(await counters(bob), `round ${round}`).toEqual({ followers_count: 0, following_count: 0 });
        // A follow after the block is refused by the same statement that would insert it.
        await graphRepo.follow(db, { followerId: bob.id, followeeId: alice.id, edgeId: newId(), now }, outbox, []);
        expect(await edges()).toBe(0);
        await graphRepo.unblock(db, alice.id, bob.id);
      }
    });
  });
});

describe("mutes", () => {
  it("mute and unmute are idempotent and do not unfollow", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await follow(alice, bob);
    for (let i = 0; i < 2; i++) {
      const res = await api("POST", `/v1/users/${bob.username}/mute`, { token: alice.accessToken });
      expect(await res.json()).toEqual({ muting: true });
    }
    expect((await relationship(alice, bob)).body.relationship).toMatchObject({ following: true, muting: true });
    // The muted account is not told.
    expect((await relationship(bob, alice)).body.relationship?.muting).toBe(false);
    const res = await api("DELETE", `/v1/users/${bob.username}/mute`, { token: alice.accessToken });
    expect(await res.json()).toEqual({ muting: false });
  });

  it("lists your mutes newest first with paging, and only yours", async () => {
    const [alice, bob, carol, dave] = [await createUser(), await createUser(), await createUser(), await createUser()];
    for (const other of [bob, carol, dave]) {
      await api("POST", `/v1/users/${other.username}/mute`, { token: alice.accessToken });
    }
    const page1 = (await (await api("GET", "/v1/me/mutes?limit=2", { token: alice.accessToken })).json()) as {
      items: { username: string }[];
      next_cursor: string;
    };
    expect(page1.items.map((u) => u.username)).toEqual([dave.username, carol.username]);
    const page2 = await api("GET", `/v1/me/mutes?limit=2&cursor=${page1.next_cursor}`, { token: alice.accessToken });
    expect(await usernames(page2)).toEqual([bob.username]);

    await api("DELETE", `/v1/users/${carol.username}/mute`, { token: alice.accessToken });
    expect(await usernames(await api("GET", "/v1/me/mutes", { token: alice.accessToken }))).toEqual([
      dave.username,
      bob.username,
    ]);
    // The muted accounts are not told, and their own lists are their own.
    expect(await usernames(await api("GET", "/v1/me/mutes", { token: bob.accessToken }))).toEqual([]);
    // A block either way takes the account off the list, as it does on close friends.
    await block(dave, alice);
    expect(await usernames(await api("GET", "/v1/me/mutes", { token: alice.accessToken }))).toEqual([bob.username]);
    await expectProblem(await api("GET", "/v1/me/mutes"), 401, "unauthorized");
  });

  it("answers 422 for muting yourself", async () => {
    const alice = await createUser();
    await expectProblem(
      await api("POST", `/v1/users/${alice.username}/mute`, { token: alice.accessToken }),
      422,
      "validation_failed",
    );
  });
});

describe("close friends", () => {
  it("adds, lists newest first with paging, and removes", async () => {
    const alice = await createUser();
    const friends = [await createUser(), await createUser(), await createUser()];
    for (const f of friends) {
      const res = await api("PUT", `/v1/me/close-friends/${f.username}`, { token: alice.accessToken });
      expect(await res.json()).toEqual({ close_friend: true });
    }
    // PUT is idempotent.
    await api("PUT", `/v1/me/close-friends/${friends[0]?.username}`, { token: alice.accessToken });
    const page1 = (await (await api("GET", "/v1/me/close-friends?limit=2", { token: alice.accessToken })).json()) as {
      items: { username: string }[];
      next_cursor: string;
    };
    expect(page1.items.map((u) => u.username)).toEqual([friends[2]?.username, friends[1]?.username]);
    const page2 = await api("GET", `/v1/me/close-friends?limit=2&cursor=${page1.next_cursor}`, {
      token: alice.accessToken,
    });
    expect(await usernames(page2)).toEqual([friends[0]?.username]);

    const removed = await api("DELETE", `/v1/me/close-friends/${friends[1]?.username}`, { token: alice.accessToken });
    expect(await removed.json()).toEqual({ close_friend: false });
    expect(await usernames(await api("GET", "/v1/me/close-friends", { token: alice.accessToken }))).toEqual([
      friends[2]?.username,
      friends[0]?.username,
    ]);
    // Being someone's close friend is not shown to others, only to the list's owner.
    expect((await relationship(alice, friends[0] ?? alice)).body.relationship?.close_friend).toBe(true);
    expect((await relationship(friends[0] ?? alice, alice)).body.relationship?.close_friend).toBe(false);
  });

  it("answers 422 for yourself and 404 for an unknown account", async () => {
    const alice = await createUser();
    await expectProblem(
      await api("PUT", `/v1/me/close-friends/${alice.username}`, { token: alice.accessToken }),
      422,
      "validation_failed",
    );
    await expectProblem(
      await api("PUT", "/v1/me/close-friends/nobody_here", { token: alice.accessToken }),
      404,
      "not_found",
    );
  });
});
