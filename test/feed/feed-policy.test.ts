import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { posts, users } from "../../src/db/schema";
import { feedAllows } from "../../src/features/feed/feed.service";
import { postsWithFacts } from "../../src/features/posts/posts.repo";
import { dbFor, inList } from "../../src/platform/db";
import {
  accountShownSql,
  canSeeModerated,
  contentShownSql,
  feedVisibleSql,
  isAccountShown,
  type ModerationSurface,
} from "../../src/policy";
import { api } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow, makePrivate } from "../helpers/graph";
import { hideForTest, suspendForTest } from "../helpers/moderation";
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
    const hiddenIds: string[] = [];
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
    // Moderation: a hidden post of the viewer's own and of a followed account, and an account
    // suspended after it was followed; none of them is in a feed.
    for (const author of [viewer, owners.followsPublic as TestUser]) {
      const id = (await publish(author)).id;
      postIds.push(id);
      hiddenIds.push(id);
      await hideForTest("post", id, "spam");
    }
    const suspended = await createUser();
    postIds.push((await publish(suspended)).id);
    await follow(viewer, suspended);
    await suspendForTest(suspended.id);

    const db = dbFor(env.DB);
    // Read on the single-read surface, so the moderated rows reach the rule and it must drop them.
    const byRules = (await postsWithFacts(db, viewer.id, postIds, "read"))
      .filter((r) => feedAllows(viewer.id, r))
      .map((r) => r.id);
    const p = alias(posts, "p");
    const u = alias(users, "u");
    const bySql = await db.all<{ id: string }>(
      sql`SELECT ${p.id} FROM ${posts} ${p}
          JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
          WHERE ${p.id} IN ${inList(postIds)} AND ${feedVisibleSql(viewer.id, p, u)}
          ORDER BY ${p.id} DESC`,
    );
    expect(bySql.map((r) => r.id)).toEqual(byRules);
    // The cases differ: own 3, followed public 2, followed private 2, followed as a close friend 3.
    expect(byRules.length).toBe(10);
  });
});

describe("the moderation rules in SQL", () => {
  it("agree with the rules module for every surface, viewer, hidden flag and suspension", async () => {
    const author = await createUser();
    const suspendedAuthor = await createUser();
    const stranger = await createUser();
    const posted = {
      shown: (await publish(author)).id,
      hidden: (await publish(author)).id,
      bySuspended: (await publish(suspendedAuthor)).id,
      hiddenBySuspended: (await publish(suspendedAuthor)).id,
    };
    await hideForTest("post", posted.hidden, "spam");
    await hideForTest("post", posted.hiddenBySuspended, "spam");
    await suspendForTest(suspendedAuthor.id);
    const ids = Object.values(posted);

    const db = dbFor(env.DB);
    const p = alias(posts, "p");
    const u = alias(users, "u");
    const facts = await db.all<{ id: string; author_id: string; hidden: number; suspended: number }>(
      sql`SELECT ${p.id} AS id, ${p.author_id} AS author_id, ${p.hidden_at} IS NOT NULL AS hidden,
            ${u.suspended_at} IS NOT NULL AS suspended
          FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id} WHERE ${p.id} IN ${inList(ids)}`,
    );
    expect(facts.length).toBe(4);
    let cases = 0;
    for (const viewer of [author.id, suspendedAuthor.id, stranger.id, ""]) {
      for (const staff of [false, true]) {
        for (const on of ["read", "grid", "list"] as ModerationSurface[]) {
          const bySql = await db.all<{ id: string }>(
            sql`SELECT ${p.id} AS id FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
                WHERE ${p.id} IN ${inList(ids)} AND ${contentShownSql(viewer, p, u, on, staff)}
                ORDER BY ${p.id}`,
          );
          const byRules = facts
            .filter((f) =>
              canSeeModerated(
                { self: f.author_id === viewer, staff },
                { hidden: f.hidden === 1, authorSuspended: f.suspended === 1 },
                on,
              ),
            )
            .map((f) => f.id)
            .sort();
          expect(
            bySql.map((r) => r.id),
            `viewer ${viewer || "anonymous"} staff ${staff} on ${on}`,
          ).toEqual(byRules);
          cases++;
        }
      }
      const accounts = await db.all<{ id: string }>(
        sql`SELECT ${u.id} AS id FROM ${users} ${u}
            WHERE ${u.id} IN ${inList([author.id, suspendedAuthor.id, stranger.id])} AND ${accountShownSql(viewer, u)}
            ORDER BY ${u.id}`,
      );
      const accountsByRules = [
        { id: author.id, suspended: false },
        { id: suspendedAuthor.id, suspended: true },
        { id: stranger.id, suspended: false },
      ]
        .filter((a) => isAccountShown({ self: a.id === viewer, ownerSuspended: a.suspended }))
        .map((a) => a.id)
        .sort();
      expect(accounts.map((a) => a.id)).toEqual(accountsByRules);
    }
    expect(cases).toBe(24);
  });
});
