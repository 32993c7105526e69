import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { posts } from "../../src/db/schema";
import { feedAllows } from "../../src/features/feed/feed.service";
import { postsWithFacts } from "../../src/features/posts/posts.repo";
import { dbFor, inList } from "../../src/platform/db";
import { feedVisibleSql } from "../../src/policy";
import { api } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { publish } from "../helpers/posts";

const ok = async (res: Promise<Response>) => expect((await res).status).toBeLessThan(300);

describe("the feed policy in SQL", () => {
  it("agrees with the rules module for every relationship and audience", async () => {
    const viewer = await createUser();
    const owners: Record<string, TestUser> = {};
    const setups: Record<string, (owner: TestUser) => Promise<void>> = {
      followsPublic: async (o) => void (await follow(viewer, o)),
      followsPrivate: async (o) => {
        await makePrivate(o);
        await follow(viewer, o);
        await ok(api("POST", `/v1/me/follow-requests/${viewer.username}/approve`, { token: o.accessToken }));
      },
      requestedPrivate: async (o) => {
        await makePrivate(o);
        await follow(viewer, o);
      },
      strangerPublic: async () => {},
      followsMuted: async (o) => {
        await follow(viewer, o);
        await ok(api("POST", `/v1/users/${o.username}/mute`, { token: viewer.accessToken }));
      },
      followsCloseFriend: async (o) => {
        await follow(viewer, o);
        await ok(api("PUT", `/v1/me/close-friends/${viewer.username}`, { token: o.accessToken }));
      },
      closeFriendNotFollowing: async (o) => {
        await ok(api("PUT", `/v1/me/close-friends/${viewer.username}`, { token: o.accessToken }));
      },
      blockedByOwner: async (o) => {
        await follow(viewer, o);
        await ok(api("POST", `/v1/users/${viewer.username}/block`, { token: o.accessToken }));
      },
    };
    const postIds: string[] = [];
    for (const [name, setup] of Object.entries(setups)) {
      const owner = await createUser();
      owners[name] = owner;
      for (const audience of ["public", "followers", "close_friends"]) {
        postIds.push((await publish(owner, { audience })).id);
      }
      await setup(owner);
    }
    for (const audience of ["public", "followers", "close_friends"])
      postIds.push((await publish(viewer, { audience })).id);

    const db = dbFor(env.DB);
    const byRules = (await postsWithFacts(db, viewer.id, postIds))
      .filter((r) => feedAllows(viewer.id, r))
      .map((r) => r.id);
    const p = alias(posts, "p");
    const bySql = await db.all<{ id: string }>(
      sql`SELECT ${p.id} FROM ${posts} ${p}
          WHERE ${p.id} IN ${inList(postIds)} AND ${feedVisibleSql(viewer.id, { author_id: p.author_id, audience: p.audience })}
          ORDER BY ${p.id} DESC`,
    );
    expect(bySql.map((r) => r.id)).toEqual(byRules);
    // The cases differ: own 3, followed public 2, followed private 2, followed as a close friend 3.
    expect(byRules.length).toBe(10);
  });
});
