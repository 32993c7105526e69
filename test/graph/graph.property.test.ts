import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { loadRelation } from "../../src/features/graph/relations.repo";
import { dbFor } from "../../src/platform/db";
import { newId } from "../../src/platform/ids";
import {
  type Audience,
  canFollow,
  canMessage,
  canSeeAccount,
  canSeeAccountContent,
  canSeeContent,
} from "../../src/policy";
import { api } from "../helpers/api";
import { forgeToken } from "../helpers/auth-matrix";

/*
 * Random sequences of graph operations across four accounts, checked after every step against a
 * plain model of the rules: counters equal the real edge counts, no follow or request survives a
 * block, the stored edges are exactly the model's, and the policy module answers as the model does.
 * At the end, through HTTP, for every viewer: profiles and posts answer as the model says, search
 * (accounts and posts) finds exactly what the model lets the viewer see, explore shows nothing
 * else (and none of the viewer's own, followed or muted accounts' posts), and suggestions are
 * exactly the model's friends of friends and never an excluded account (docs/security.md A9).
 * An account may also be deleted (straight to the state right after `DELETE /v1/me`): from then on
 * its profile and content are visible to no one else, it is found and suggested nowhere, its
 * token answers 403 `account_pending_deletion`, and no operation by or on it changes anything
 * (docs/accounts.md).
 */

const N = 4;
const AUDIENCES: Audience[] = ["public", "followers", "close_friends"];

type Op =
  | {
      type: "follow" | "unfollow" | "block" | "unblock" | "approve" | "deny" | "removeFollower" | "dismiss";
      a: number;
      b: number;
    }
  | { type: "mute"; a: number; b: number; on: boolean }
  | { type: "private"; a: number; value: boolean }
  | { type: "closeFriend"; a: number; b: number; on: boolean }
  | { type: "delete"; a: number };

const who = fc.integer({ min: 0, max: N - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("follow" as const), a: who, b: who }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("unfollow" as const), a: who, b: who }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("approve" as const), a: who, b: who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("deny" as const), a: who, b: who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("removeFollower" as const), a: who, b: who }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("block" as const), a: who, b: who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("unblock" as const), a: who, b: who }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("private" as const), a: who, value: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("closeFriend" as const), a: who, b: who, on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("mute" as const), a: who, b: who, on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("dismiss" as const), a: who, b: who }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("delete" as const), a: who }) },
);

/** The rules, written out plainly over sets of "a>b" pairs. */
class Model {
  follows = new Set<string>();
  requests = new Set<string>();
  blocks = new Set<string>();
  closeFriends = new Set<string>();
  mutes = new Set<string>();
  dismissed = new Set<string>();
  isPrivate: boolean[] = Array(N).fill(false);
  deleted: boolean[] = Array(N).fill(false);

  static key = (a: number, b: number) => `${a}>${b}`;
  blocked(a: number, b: number) {
    return this.blocks.has(Model.key(a, b)) || this.blocks.has(Model.key(b, a));
  }

  /** What `op` answers: a deleted actor's token is refused (403), anything else as its route decides. */
  refused(op: Op): boolean {
    return this.deleted[op.a] === true;
  }

  apply(op: Op) {
    const k = Model.key;
    if (op.type === "delete") {
      this.deleted[op.a] = true;
      return;
    }
    // A deleted account acts no more, and no one can reach it (its edges stay until the purge).
    if (this.deleted[op.a] || (op.type !== "private" && this.deleted[op.b])) return;
    switch (op.type) {
      case "follow":
        if (op.a === op.b || this.blocked(op.a, op.b) || this.follows.has(k(op.a, op.b))) return;
        if (this.isPrivate[op.b]) this.requests.add(k(op.a, op.b));
        else this.follows.add(k(op.a, op.b));
        return;
      case "unfollow":
        if (this.blocked(op.a, op.b)) return;
        this.follows.delete(k(op.a, op.b));
        this.requests.delete(k(op.a, op.b));
        return;
      case "removeFollower":
        if (this.blocked(op.a, op.b)) return;
        this.follows.delete(k(op.b, op.a));
        this.requests.delete(k(op.b, op.a));
        return;
      case "approve":
        if (this.requests.delete(k(op.b, op.a))) this.follows.add(k(op.b, op.a));
        return;
      case "deny":
        this.requests.delete(k(op.b, op.a));
        return;
      case "block":
        if (op.a === op.b) return;
        this.blocks.add(k(op.a, op.b));
        for (const set of [this.follows, this.requests, this.closeFriends]) {
          set.delete(k(op.a, op.b));
          set.delete(k(op.b, op.a));
        }
        return;
      case "unblock":
        this.blocks.delete(k(op.a, op.b));
        return;
      case "private":
        this.isPrivate[op.a] = op.value;
        if (!op.value) {
          for (const req of [...this.requests]) {
            const [from, to] = req.split(">").map(Number);
            if (to === op.a && from !== undefined) {
              this.requests.delete(req);
              this.follows.add(k(from, op.a));
            }
          }
        }
        return;
      case "closeFriend":
        if (op.a === op.b) return;
        if (!op.on) this.closeFriends.delete(k(op.a, op.b));
        else if (!this.blocked(op.a, op.b)) this.closeFriends.add(k(op.a, op.b));
        return;
      // A block leaves mutes and dismissals alone; neither can be set across one.
      case "mute":
        if (op.a === op.b) return;
        if (!op.on) this.mutes.delete(k(op.a, op.b));
        else if (!this.blocked(op.a, op.b)) this.mutes.add(k(op.a, op.b));
        return;
      case "dismiss":
        if (op.a !== op.b && !this.blocked(op.a, op.b)) this.dismissed.add(k(op.a, op.b));
        return;
    }
  }

  // Reference visibility, viewer v (null: anonymous) looking at owner o.
  seeAccount(v: number | null, o: number) {
    if (v !== o && this.deleted[o]) return false;
    return v === o || v === null || !this.blocked(v, o);
  }
  seeContent(v: number | null, o: number) {
    if (v === o) return true;
    if (this.deleted[o]) return false;
    if (v === null) return !this.isPrivate[o];
    return !this.blocked(v, o) && (!this.isPrivate[o] || this.follows.has(Model.key(v, o)));
  }
  seePost(v: number | null, o: number, audience: Audience) {
    if (v === o) return true;
    if (this.deleted[o]) return false;
    if (v === null) return audience === "public" && !this.isPrivate[o];
    if (this.blocked(v, o)) return false;
    if (audience === "close_friends") return this.closeFriends.has(Model.key(o, v));
    const follows = this.follows.has(Model.key(v, o));
    return audience === "followers" ? follows : !this.isPrivate[o] || follows;
  }
  mayInteract(v: number | null, o: number) {
    return v !== null && v !== o && !this.blocked(v, o);
  }
  mayFollow(v: number | null, o: number) {
    return this.mayInteract(v, o) && !this.deleted[o];
  }
  /** Search finds every other account not across a block (docs/search.md), and no deleted one. */
  searchAccounts(v: number) {
    return [...Array(N).keys()].filter((o) => o !== v && !this.blocked(v, o) && !this.deleted[o]);
  }
  /** Never suggested to v: v, and whom v follows, asked to follow, blocks or is blocked by, mutes or dismissed. */
  excludedFromSuggestions(v: number, c: number) {
    const k = Model.key(v, c);
    return (
      v === c ||
      this.deleted[c] === true ||
      this.follows.has(k) ||
      this.requests.has(k) ||
      this.blocked(v, c) ||
      this.mutes.has(k) ||
      this.dismissed.has(k)
    );
  }
  /** Friends of friends of v that may be suggested, with how many accounts v follows follow each. */
  suggestions(v: number): Map<number, number> {
    const out = new Map<number, number>();
    for (let f = 0; f < N; f++) {
      if (!this.follows.has(Model.key(v, f))) continue;
      for (let c = 0; c < N; c++) {
        if (this.follows.has(Model.key(f, c)) && !this.excludedFromSuggestions(v, c)) out.set(c, (out.get(c) ?? 0) + 1);
      }
    }
    return out;
  }
}

interface Account {
  id: string;
  username: string;
  token: string;
}

/**
 * One post per audience for each account, and one deleted post, written straight to D1 (posting
 * has its own tests; the FTS triggers index them). Every caption has this run's word, so a post
 * search for it finds exactly this run's posts.
 */
async function postsOf(accounts: Account[], word: string): Promise<Record<Audience, string>[]> {
  const now = new Date().toISOString();
  const out = accounts.map(() => ({}) as Record<Audience, string>);
  const insert = (id: string, author: string, audience: Audience, deletedAt: string | null) =>
    env.DB.prepare(
      "INSERT INTO posts (id, author_id, caption, audience, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(id, author, `${audience} post ${word}`, audience, now, now, deletedAt);
  const statements = accounts.flatMap((a, i) => [
    ...AUDIENCES.map((audience) => {
      const id = newId();
      (out[i] as Record<Audience, string>)[audience] = id;
      return insert(id, a.id, audience, null);
    }),
    insert(newId(), a.id, "public", now),
  ]);
  await env.DB.batch(statements);
  return out;
}

let run = 0;
/**
 * This run's accounts share the username prefix `prop_<run>_` (an account search finds them). The
 * previous runs' accounts are deleted first (only their rows: their edges and posts stay, and no
 * read of this run reaches them), so suggestions' popular fill, which lists at most 30 accounts,
 * holds every account of this run that the viewer may be suggested.
 */
const prefixOf = (r: number) => `prop_${r}_`;
async function freshAccounts(): Promise<Account[]> {
  run++;
  await env.DB.prepare("DELETE FROM users WHERE username LIKE 'prop\\_%' ESCAPE '\\'").run();
  const now = new Date().toISOString();
  const accounts: Account[] = [];
  for (let i = 0; i < N; i++) {
    const id = newId();
    const username = `${prefixOf(run)}${i}`;
    accounts.push({ id, username, token: await forgeToken({ sub: id }) });
  }
  await env.DB.batch(
    accounts.map((a) =>
      env.DB.prepare(
        "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)",
      ).bind(a.id, a.username, `${a.username}@example.com`, now, now),
    ),
  );
  return accounts;
}

async function perform(op: Op, users: Account[]): Promise<Response> {
  const a = users[op.a] as Account;
  if (op.type === "delete") {
    // The state right after DELETE /v1/me (its password and sockets have their own tests).
    await env.DB.prepare("UPDATE users SET deleted_at = COALESCE(deleted_at, ?1) WHERE id = ?2")
      .bind(new Date().toISOString(), a.id)
      .run();
    return new Response(null, { status: 202 });
  }
  const b = op.type === "private" ? a : (users[op.b] as Account);
  switch (op.type) {
    case "follow":
      return api("POST", `/v1/users/${b.username}/follow`, { token: a.token });
    case "unfollow":
      return api("DELETE", `/v1/users/${b.username}/follow`, { token: a.token });
    case "removeFollower":
      return api("DELETE", `/v1/me/followers/${b.username}`, { token: a.token });
    case "approve":
      return api("POST", `/v1/me/follow-requests/${b.username}/approve`, { token: a.token });
    case "deny":
      return api("POST", `/v1/me/follow-requests/${b.username}/deny`, { token: a.token });
    case "block":
      return api("POST", `/v1/users/${b.username}/block`, { token: a.token });
    case "unblock":
      return api("DELETE", `/v1/users/${b.username}/block`, { token: a.token });
    case "private":
      return api("PATCH", "/v1/me", { token: a.token, body: { is_private: op.value } });
    case "closeFriend":
      return api(op.on ? "PUT" : "DELETE", `/v1/me/close-friends/${b.username}`, { token: a.token });
    case "mute":
      return api(op.on ? "POST" : "DELETE", `/v1/users/${b.username}/mute`, { token: a.token });
    case "dismiss":
      return api("DELETE", `/v1/me/suggestions/${b.username}`, { token: a.token });
  }
}

async function pairs(sql: string, ids: string[]): Promise<Set<string>> {
  const { results } = await env.DB.prepare(sql).bind(JSON.stringify(ids)).all<{ x: string; y: string }>();
  return new Set(results.map((r) => `${ids.indexOf(r.x)}>${ids.indexOf(r.y)}`));
}

async function checkState(model: Model, users: Account[]) {
  const ids = users.map((u) => u.id);
  const inIds = (col: string) => `${col} IN (SELECT value FROM json_each(?1))`;
  const follows = await pairs(
    `SELECT follower_id AS x, followee_id AS y FROM follows WHERE ${inIds("follower_id")}`,
    ids,
  );
  const requests = await pairs(
    `SELECT requester_id AS x, target_id AS y FROM follow_requests WHERE ${inIds("requester_id")}`,
    ids,
  );
  const blocks = await pairs(`SELECT blocker_id AS x, blocked_id AS y FROM blocks WHERE ${inIds("blocker_id")}`, ids);
  const close = await pairs(`SELECT user_id AS x, friend_id AS y FROM close_friends WHERE ${inIds("user_id")}`, ids);
  const mutes = await pairs(`SELECT muter_id AS x, muted_id AS y FROM mutes WHERE ${inIds("muter_id")}`, ids);
  const dismissed = await pairs(
    `SELECT user_id AS x, dismissed_id AS y FROM suggestion_dismissals WHERE ${inIds("user_id")}`,
    ids,
  );
  expect([...follows].sort()).toEqual([...model.follows].sort());
  expect([...requests].sort()).toEqual([...model.requests].sort());
  expect([...blocks].sort()).toEqual([...model.blocks].sort());
  expect([...close].sort()).toEqual([...model.closeFriends].sort());
  expect([...mutes].sort()).toEqual([...model.mutes].sort());
  expect([...dismissed].sort()).toEqual([...model.dismissed].sort());

  // Counters equal the real edge counts.
  const { results } = await env.DB.prepare(
    `SELECT id, followers_count, following_count, is_private FROM users WHERE ${inIds("id")}`,
  )
    .bind(JSON.stringify(ids))
    .all<{ id: string; followers_count: number; following_count: number; is_private: number }>();
  for (const row of results) {
    const i = ids.indexOf(row.id);
    const count = (side: 0 | 1) => [...follows].filter((p) => Number(p.split(">")[side]) === i).length;
    expect(row.followers_count).toBe(count(1));
    expect(row.following_count).toBe(count(0));
    expect(row.is_private === 1).toBe(model.isPrivate[i]);
  }

  // No follow or request survives a block.
  for (const edge of [...follows, ...requests]) {
    const [x, y] = edge.split(">").map(Number) as [number, number];
    expect(model.blocked(x, y)).toBe(false);
  }

  // The policy module answers as the model does, for every viewer (and anonymous) and owner.
  const db = dbFor(env.DB);
  for (let o = 0; o < N; o++) {
    const owner = {
      id: ids[o] as string,
      is_private: model.isPrivate[o] ?? false,
      suspended_at: null,
      deleted_at: model.deleted[o] ? new Date().toISOString() : null,
    };
    for (const v of [null, 0, 1, 2, 3]) {
      const relation = await loadRelation(db, v === null ? null : (ids[v] as string), owner);
      const where = `viewer ${v} owner ${o}`;
      expect(canSeeAccount(relation), where).toBe(model.seeAccount(v, o));
      expect(canSeeAccountContent(relation), where).toBe(model.seeContent(v, o));
      for (const audience of AUDIENCES)
        expect(canSeeContent(relation, audience), `${where} ${audience}`).toBe(model.seePost(v, o, audience));
      expect(canFollow(relation), where).toBe(model.mayFollow(v, o));
      expect(canMessage(relation), where).toBe(model.mayInteract(v, o));
    }
  }
}

interface Listed {
  id: string;
  username: string;
  mutual_count?: number;
}
async function listed(path: string, token: string): Promise<Listed[]> {
  const res = await api("GET", path, { token });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  return ((await res.json()) as { items: Listed[] }).items;
}

/** Search and suggestions, as viewer `v` sees them, against the model. */
async function checkDiscovery(
  model: Model,
  users: Account[],
  posts: Record<Audience, string>[],
  v: number,
  word: string,
) {
  const viewer = users[v] as Account;
  const index = new Map(users.map((u, i) => [u.id, i]));
  const where = `viewer ${v}`;
  // Accounts: exactly the other accounts not across a block, whatever their privacy.
  const found = await listed(`/v1/search?type=accounts&q=${prefixOf(run)}&limit=50`, viewer.token);
  expect(found.map((u) => index.get(u.id)).sort(), where).toEqual(model.searchAccounts(v));
  // Posts: exactly the live posts whose audience and author's privacy admit the viewer.
  const expected = users.flatMap((_, o) =>
    AUDIENCES.filter((audience) => model.seePost(v, o, audience)).map((audience) => posts[o]?.[audience]),
  );
  const matched = await listed(`/v1/search?type=posts&q=${word}&limit=50`, viewer.token);
  expect(matched.map((p) => p.id).sort(), where).toEqual(expected.sort());
  // Suggestions: exactly this run's accounts the model does not exclude (friends of friends with
  // their mutual counts, the rest as the popular fill, which the list has room for: fewer than 30
  // accounts exist outside this run), never an excluded one.
  const suggested = await listed("/v1/me/suggestions", viewer.token);
  expect(suggested.length, where).toBeLessThan(30);
  const ours = suggested.flatMap((s) => {
    const c = index.get(s.id);
    return c === undefined ? [] : [{ c, mutual: s.mutual_count ?? -1 }];
  });
  const allowed = [...Array(N).keys()].filter((c) => !model.excludedFromSuggestions(v, c));
  expect(ours.map((s) => s.c).sort(), where).toEqual(allowed);
  const friendsOfFriends = ours.filter((s) => s.mutual > 0).map((s) => [s.c, s.mutual]);
  expect(new Map(friendsOfFriends as [number, number][]), where).toEqual(model.suggestions(v));
  // Explore: of this run's posts, only ones the post reads allow the viewer, never their own, never
  // a followed or muted account's (other runs' posts may appear too: they are not this model's).
  const ofRun = new Map(
    users.flatMap((_, o) => AUDIENCES.map((audience) => [posts[o]?.[audience], { o, audience }] as const)),
  );
  for (const post of await listed("/v1/explore?limit=50", viewer.token)) {
    const meta = ofRun.get(post.id);
    if (!meta) continue;
    const k = Model.key(v, meta.o);
    const allowed =
      meta.o !== v && !model.follows.has(k) && !model.mutes.has(k) && model.seePost(v, meta.o, meta.audience);
    expect(allowed, `${where} explore showed ${meta.o}/${meta.audience}`).toBe(true);
  }
}

it("keeps counters, edges and visibility consistent with the rules under random operation sequences", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
      const users = await freshAccounts();
      const model = new Model();
      for (const op of ops) {
        const res = await perform(op, users);
        // Every answer is a deliberate one: success, or a clear 404/422, never a 5xx; a deleted
        // account's token answers 403 account_pending_deletion.
        if (op.type !== "delete" && model.refused(op)) expect(res.status).toBe(403);
        else expect([200, 202, 204, 404, 422]).toContain(res.status);
        model.apply(op);
        await checkState(model, users);
      }
      // Through HTTP as well: a profile answers 404 exactly when a block stands between the two,
      // and every post answers as the model says its audience allows (docs/security.md A9).
      const word = `propword${run}`;
      const posts = await postsOf(users, word);
      for (const v of [null, 0, 1, 2, 3]) {
        const token = v === null ? undefined : users[v]?.token;
        // A deleted account's token reaches nothing but its own account and restore.
        const refused = v !== null && model.deleted[v] === true;
        for (let o = 0; o < N; o++) {
          if (v !== null) {
            const res = await api("GET", `/v1/users/${users[o]?.username}`, { token });
            expect(res.status).toBe(refused ? 403 : model.seeAccount(v, o) ? 200 : 404);
          }
          for (const audience of AUDIENCES) {
            const res = await api("GET", `/v1/posts/${posts[o]?.[audience]}`, { token });
            const expected = refused ? 403 : model.seePost(v, o, audience) ? 200 : 404;
            expect(res.status, `viewer ${v} post ${o}/${audience}`).toBe(expected);
          }
        }
      }
      for (let v = 0; v < N; v++) if (!model.deleted[v]) await checkDiscovery(model, users, posts, v, word);
    }),
    { numRuns: 40 },
  );
}, 120_000);
