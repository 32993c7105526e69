import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { counters, follow, makePrivate, relationship, usernames } from "../helpers/graph";

describe("POST /v1/users/{username}/follow", () => {
  describe("happy", () => {
    it("follows a public account at once and counts it on both sides", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      expect(await follow(bob, alice)).toBe("following");
      expect(await counters(alice)).toEqual({ followers_count: 1, following_count: 0 });
      expect(await counters(bob)).toEqual({ followers_count: 0, following_count: 1 });
      const rel = await relationship(bob, alice);
      expect(rel.body.relationship).toEqual({
        following: true,
        followed_by: false,
        requested: false,
        blocking: false,
        muting: false,
        close_friend: false,
      });
      expect((await relationship(alice, bob)).body.relationship?.followed_by).toBe(true);
    });

    it("is idempotent: following twice changes nothing", async () => {
      const [alice, bob] = [await createUser(), await createUser()];
      await follow(bob, alice);
      expect(await follow(bob, alice)).toBe("following");
      expect(await counters(alice)).toEqual({ followers_count: 1, following_count: 0 });
    });

    it("keeps followers_count exact under 50 parallel follows by 50 users", async () => {
      const star = await createUser();
      const fans = await Promise.all(Array.from({ length: 50 }, () => createUser()));
      const results = await Promise.all(
        fans.flatMap((fan) => [
          api("POST", `/v1/users/${star.username}/follow`, { token: fan.accessToken }),
          api("POST", `/v1/users/${star.username}/follow`, { token: fan.accessToken }),
        ]),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect((await counters(star))?.followers_count).toBe(50);
      const edges = await env.DB.prepare("SELECT COUNT(*) AS n FROM follows WHERE followee_id = ?")
        .bind(star.id)
        .first<{ n: number }>();
      expect(edges?.n).toBe(50);
    });

    it("asks a private account instead, and counts nothing until approved", async () => {
      const [carol, dave] = [await createUser(), await createUser()];
      await makePrivate(carol);
      expect(await follow(dave, carol)).toBe("requested");
      expect(await follow(dave, carol)).toBe("requested");
      expect(await counters(carol)).toEqual({ followers_count: 0, following_count: 0 });
      expect((await relationship(dave, carol)).body.relationship?.requested).toBe(true);
      expect(await usernames(await api("GET", "/v1/me/follow-requests", { token: carol.accessToken }))).toEqual([
        dave.username,
      ]);
    });
  });

  describe("errors", () => {
    it("answers 422 for following yourself and 404 for an unknown account", async () => {
      const alice = await createUser();
      await expectProblem(
        await api("POST", `/v1/users/${alice.username}/follow`, { token: alice.accessToken }),
        422,
        "validation_failed",
      );
      await expectProblem(
        await api("POST", "/v1/users/no_such_person/follow", { token: alice.accessToken }),
        404,
        "not_found",
      );
    });
  });

  describe("rate limits", () => {
    it("answers 429 with retry-after on the 101st follow attempt in a minute", WAITS_FOR_A_WINDOW, async () => {
      await startInOneWindow(60, 20_000);
      const fan = await createUser();
      const target = await createUser();
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) {
        statuses.push((await api("POST", `/v1/users/${target.username}/follow`, { token: fan.accessToken })).status);
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      const limited = await api("POST", `/v1/users/${target.username}/follow`, { token: fan.accessToken });
      await expectProblem(limited, 429, "rate_limited");
      expect(limited.headers.get("retry-after")).toBe("60");
      // Other accounts are not affected.
      expect(await follow(await createUser(), target)).toBe("following");
    });
  });
});

describe("DELETE /v1/users/{username}/follow", () => {
  it("unfollows once, exactly, and withdraws a pending request", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await follow(bob, alice);
    const unfollows = await Promise.all(
      [1, 2, 3].map(() => api("DELETE", `/v1/users/${alice.username}/follow`, { token: bob.accessToken })),
    );
    for (const res of unfollows) expect(await res.json()).toEqual({ state: "none" });
    expect(await counters(alice)).toEqual({ followers_count: 0, following_count: 0 });
    expect(await counters(bob)).toEqual({ followers_count: 0, following_count: 0 });

    await makePrivate(carol);
    await follow(bob, carol);
    await api("DELETE", `/v1/users/${carol.username}/follow`, { token: bob.accessToken });
    expect(await usernames(await api("GET", "/v1/me/follow-requests", { token: carol.accessToken }))).toEqual([]);
  });
});

describe("follow requests", () => {
  it("approve turns the request into a follow with counters", async () => {
    const [carol, dave] = [await createUser(), await createUser()];
    await makePrivate(carol);
    await follow(dave, carol);
    const res = await api("POST", `/v1/me/follow-requests/${dave.username}/approve`, { token: carol.accessToken });
    expect(res.status).toBe(204);
    expect((await relationship(dave, carol)).body.relationship).toMatchObject({ following: true, requested: false });
    expect(await counters(carol)).toEqual({ followers_count: 1, following_count: 0 });
    expect(await counters(dave)).toEqual({ followers_count: 0, following_count: 1 });
    // Approving again: there is no request any more.
    await expectProblem(
      await api("POST", `/v1/me/follow-requests/${dave.username}/approve`, { token: carol.accessToken }),
      404,
      "not_found",
    );
    expect(await counters(carol)).toEqual({ followers_count: 1, following_count: 0 });
  });

  it("deny drops the request and counts nothing", async () => {
    const [carol, dave] = [await createUser(), await createUser()];
    await makePrivate(carol);
    await follow(dave, carol);
    expect(
      (await api("POST", `/v1/me/follow-requests/${dave.username}/deny`, { token: carol.accessToken })).status,
    ).toBe(204);
    expect((await relationship(dave, carol)).body.relationship).toMatchObject({ following: false, requested: false });
    await expectProblem(
      await api("POST", `/v1/me/follow-requests/${dave.username}/deny`, { token: carol.accessToken }),
      404,
      "not_found",
    );
  });

  it("cannot approve requests made to someone else", async () => {
    const [carol, dave, mallory] = [await createUser(), await createUser(), await createUser()];
    await makePrivate(carol);
    await follow(dave, carol);
    await expectProblem(
      await api("POST", `/v1/me/follow-requests/${dave.username}/approve`, { token: mallory.accessToken }),
      404,
      "not_found",
    );
    expect((await relationship(dave, carol)).body.relationship?.following).toBe(false);
  });

  it("turning the account public approves every pending request", async () => {
    const carol = await createUser();
    const fans = await Promise.all([createUser(), createUser(), createUser()]);
    await makePrivate(carol);
    for (const fan of fans) expect(await follow(fan, carol)).toBe("requested");
    await makePrivate(carol, false);
    expect(await counters(carol)).toEqual({ followers_count: 3, following_count: 0 });
    for (const fan of fans) expect((await counters(fan))?.following_count).toBe(1);
    expect(await usernames(await api("GET", "/v1/me/follow-requests", { token: carol.accessToken }))).toEqual([]);
  });

  it("pages requests with a keyset cursor", async () => {
    const carol = await createUser();
    await makePrivate(carol);
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await createUser();
      await follow(fan, carol);
      fans.push(fan.username);
    }
    const first = await api("GET", "/v1/me/follow-requests?limit=2", { token: carol.accessToken });
    const page1 = (await first.json()) as { items: { username: string }[]; next_cursor: string };
    expect(page1.items.map((u) => u.username)).toEqual([fans[4], fans[3]]);
    // A request arriving between pages does not shift the next page.
    await follow(await createUser(), carol);
    const page2 = (await (
      await api("GET", `/v1/me/follow-requests?limit=2&cursor=${page1.next_cursor}`, { token: carol.accessToken })
    ).json()) as { items: { username: string }[]; next_cursor: string };
    expect(page2.items.map((u) => u.username)).toEqual([fans[2], fans[1]]);
    const page3 = (await (
      await api("GET", `/v1/me/follow-requests?limit=2&cursor=${page2.next_cursor}`, { token: carol.accessToken })
    ).json()) as { items: { username: string }[]; next_cursor: string | null };
    expect(page3.items.map((u) => u.username)).toEqual([fans[0]]);
    expect(page3.next_cursor).toBeNull();
  });

  it("rejects a cursor from another list and out-of-range limits", async () => {
    const [carol, dave] = [await createUser(), await createUser()];
    await makePrivate(carol);
    await makePrivate(dave);
    for (let i = 0; i < 2; i++) await follow(await createUser(), carol);
    const page = (await (await api("GET", "/v1/me/follow-requests?limit=1", { token: carol.accessToken })).json()) as {
      next_cursor: string;
    };
    await expectProblem(
      await api("GET", `/v1/me/follow-requests?cursor=${page.next_cursor}`, { token: dave.accessToken }),
      400,
      "invalid_cursor",
    );
    for (const limit of ["0", "51", "-1", "abc", "100000"]) {
      await expectProblem(
        await api("GET", `/v1/me/follow-requests?limit=${limit}`, { token: carol.accessToken }),
        422,
        "validation_failed",
      );
    }
  });
});

describe("DELETE /v1/me/followers/{username}", () => {
  it("removes a follower, exactly once", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    await follow(bob, alice);
    expect((await api("DELETE", `/v1/me/followers/${bob.username}`, { token: alice.accessToken })).status).toBe(204);
    expect((await api("DELETE", `/v1/me/followers/${bob.username}`, { token: alice.accessToken })).status).toBe(204);
    expect(await counters(alice)).toEqual({ followers_count: 0, following_count: 0 });
    expect(await counters(bob)).toEqual({ followers_count: 0, following_count: 0 });
  });
});

describe("GET /v1/users/{username}/followers and /following", () => {
  it("lists newest first for a public account, even to anonymous callers", async () => {
    const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
    await follow(bob, alice);
    await follow(carol, alice);
    await follow(alice, carol);
    expect(await usernames(await api("GET", `/v1/users/${alice.username}/followers`))).toEqual([
      carol.username,
      bob.username,
    ]);
    expect(await usernames(await api("GET", `/v1/users/${alice.username}/following`))).toEqual([carol.username]);
  });

  it("answers 404 for a private account's lists unless the caller follows it", async () => {
    const [carol, dave, erin] = [await createUser(), await createUser(), await createUser()];
    await makePrivate(carol);
    await follow(dave, carol);
    await api("POST", `/v1/me/follow-requests/${dave.username}/approve`, { token: carol.accessToken });
    await expectProblem(
      await api("GET", `/v1/users/${carol.username}/followers`, { token: erin.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await api("GET", `/v1/users/${carol.username}/following`), 404, "not_found");
    expect(
      await usernames(await api("GET", `/v1/users/${carol.username}/followers`, { token: dave.accessToken })),
    ).toEqual([dave.username]);
    expect(
      await usernames(await api("GET", `/v1/users/${carol.username}/followers`, { token: carol.accessToken })),
    ).toEqual([dave.username]);
  });

  it("uses indexes, not scans, for the list queries", async () => {
    const plan = await env.DB.prepare(
      `EXPLAIN QUERY PLAN SELECT e.id FROM follows e JOIN users u ON u.id = e.follower_id
       WHERE e.followee_id = ?1 AND (?2 IS NULL OR e.id < ?2) ORDER BY e.id DESC LIMIT 21`,
    )
      .bind("x", null)
      .all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail).join("\n");
    expect(details).toMatch(/USING (COVERING )?INDEX follows_followee_idx/);
    expect(details).not.toMatch(/SCAN e\b/);
  });
});
