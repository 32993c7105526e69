import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { EDGES_PER_FOLLOWEE, SAMPLE_FOLLOWEES, suggestionsSql } from "../../src/features/suggestions/suggestions.repo";
import { dbFor } from "../../src/platform/db";
import { newId } from "../../src/platform/ids";
import { api, expectProblem } from "../helpers/api";
import { forgeToken } from "../helpers/auth-matrix";

/*
 * Suggested accounts (docs/search.md, "Suggested accounts"). Accounts are written straight to D1
 * with forged tokens (sign-up's password hashing would make a graph of dozens slow); every edge
 * goes through the API, so counters and side effects are the real ones.
 */

interface Account {
  id: string;
  username: string;
  token: string;
}

interface Suggestion {
  username: string;
  mutual_count: number;
  followed_by: string[];
  is_private: boolean;
}

let run = 0;
/** `n` fresh accounts named `s<run>_<i>`. */
async function accounts(n: number): Promise<Account[]> {
  run++;
  const stamp = `${Date.now().toString(36)}${run}`;
  const now = new Date().toISOString();
  const out: Account[] = [];
  for (let i = 0; i < n; i++) {
    const id = newId();
    out.push({ id, username: `s${stamp}_${i}`, token: await forgeToken({ sub: id }) });
  }
  await env.DB.batch(
    out.map((a) =>
      env.DB.prepare(
        "INSERT INTO users (id, username, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)",
      ).bind(a.id, a.username, `${a.username}@example.com`, now, now),
    ),
  );
  return out;
}

async function call(method: string, path: string, who: Account, expected = 200): Promise<Response> {
  const res = await api(method, path, { token: who.token });
  expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(expected);
  return res;
}
const follow = (a: Account, b: Account) => call("POST", `/v1/users/${b.username}/follow`, a);
const dismiss = (a: Account, b: Account, expected = 204) =>
  call("DELETE", `/v1/me/suggestions/${b.username}`, a, expected);

async function suggestions(who: Account, query = ""): Promise<Suggestion[]> {
  const res = await call("GET", `/v1/me/suggestions${query}`, who);
  return ((await res.json()) as { items: Suggestion[] }).items;
}
const names = (items: Suggestion[]) => items.map((s) => s.username);
const friendsOfFriends = (items: Suggestion[]) => items.filter((s) => s.mutual_count > 0);

describe("GET /v1/me/suggestions", () => {
  it("ranks friends of friends by mutual count, then followers, with who you follow that follows them", async () => {
    const [viewer, a, b, c, x, y, z1, z2, fan] = (await accounts(9)) as Account[] & { length: 9 };
    if (!viewer || !a || !b || !c || !x || !y || !z1 || !z2 || !fan) throw new Error("accounts");
    for (const f of [a, b, c]) await follow(viewer, f);
    for (const f of [a, b, c]) await follow(f, x);
    for (const f of [a, b]) await follow(f, y);
    await follow(a, z1);
    await follow(a, z2);
    await follow(fan, z2);
    const items = await suggestions(viewer);
    expect(names(friendsOfFriends(items))).toEqual([x.username, y.username, z2.username, z1.username]);
    const byName = new Map(items.map((s) => [s.username, s]));
    expect(byName.get(x.username)?.mutual_count).toBe(3);
    expect(byName.get(x.username)?.followed_by.sort()).toEqual([a.username, b.username, c.username].sort());
    expect(byName.get(y.username)?.followed_by.sort()).toEqual([a.username, b.username].sort());
    expect(byName.get(z2.username)).toMatchObject({ mutual_count: 1, followed_by: [a.username] });
    // Friends of friends come first; popular accounts fill the rest, most followed first.
    const firstPopular = items.findIndex((s) => s.mutual_count === 0);
    expect(firstPopular === -1 || items.slice(firstPopular).every((s) => s.mutual_count === 0)).toBe(true);
    expect(items.length).toBeLessThanOrEqual(30);
    // The summary fields are there.
    expect(byName.get(x.username)).toMatchObject({ id: x.id, display_name: "", avatar: null, is_private: false });
  });

  it("never suggests yourself, or accounts you follow, asked to follow, blocked either way, muted or dismissed", async () => {
    const [viewer, friend, followed, requested, blocked, blocker, muted, dismissed, ok] = (await accounts(
      9,
    )) as Account[];
    if (!viewer || !friend || !followed || !requested || !blocked || !blocker || !muted || !dismissed || !ok)
      throw new Error("accounts");
    const priv = await api("PATCH", "/v1/me", { token: requested.token, body: { is_private: true } });
    expect(priv.status).toBe(200);
    await follow(viewer, friend);
    // The friend follows the viewer too (a candidate is then the viewer itself) and everyone else.
    for (const f of [viewer, followed, blocked, blocker, muted, dismissed, ok, requested]) await follow(friend, f);
    await call("POST", `/v1/me/follow-requests/${friend.username}/approve`, requested, 204);
    await follow(viewer, followed);
    await follow(viewer, requested);
    await call("POST", `/v1/users/${blocked.username}/block`, viewer);
    await call("POST", `/v1/users/${viewer.username}/block`, blocker);
    await call("POST", `/v1/users/${muted.username}/mute`, viewer);
    await dismiss(viewer, dismissed);
    const items = await suggestions(viewer);
    expect(names(friendsOfFriends(items))).toEqual([ok.username]);
    const excluded = [viewer, friend, followed, requested, blocked, blocker, muted, dismissed].map((u) => u.username);
    for (const name of excluded) expect(names(items)).not.toContain(name);
  });

  it("falls back to popular accounts for a new account, with the same exclusions", async () => {
    const [viewer, top, second, blocked, muted, dismissed, ...fans] = (await accounts(12)) as Account[];
    if (!viewer || !top || !second || !blocked || !muted || !dismissed) throw new Error("accounts");
    // Make these the most followed accounts of this file: 6, 5, 4, 4, 4 and 4 followers.
    for (const [target, count] of [
      [top, 6],
      [second, 5],
      [blocked, 4],
      [muted, 4],
      [dismissed, 4],
    ] as const) {
      for (const f of fans.slice(0, count)) await follow(f, target);
    }
    await call("POST", `/v1/users/${viewer.username}/block`, blocked);
    await call("POST", `/v1/users/${muted.username}/mute`, viewer);
    await dismiss(viewer, dismissed);
    const items = await suggestions(viewer);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((s) => s.mutual_count === 0 && s.followed_by.length === 0)).toBe(true);
    expect(names(items).slice(0, 2)).toEqual([top.username, second.username]);
    for (const u of [viewer, blocked, muted, dismissed]) expect(names(items)).not.toContain(u.username);
    expect(await suggestions(viewer, "?limit=1")).toHaveLength(1);
  });

  it("walks only each followed account's newest follows (the documented bound)", async () => {
    const [viewer, friend, ...followees] = (await accounts(EDGES_PER_FOLLOWEE + 3)) as Account[];
    if (!viewer || !friend) throw new Error("accounts");
    await follow(viewer, friend);
    for (const f of followees) await follow(friend, f);
    const counted = friendsOfFriends(await suggestions(viewer));
    expect(counted).toHaveLength(EDGES_PER_FOLLOWEE);
    // The oldest follows fall outside the window.
    expect(names(counted)).not.toContain(followees[0]?.username);
    expect(SAMPLE_FOLLOWEES).toBeGreaterThanOrEqual(EDGES_PER_FOLLOWEE);
  });

  it("answers 422 for a bad limit or an unknown parameter, and 401 without a token", async () => {
    const [viewer] = (await accounts(1)) as Account[];
    if (!viewer) throw new Error("accounts");
    for (const q of ["?limit=0", "?limit=31", "?limit=abc", "?limit=1.5", "?cursor=x"]) {
      await expectProblem(
        await api("GET", `/v1/me/suggestions${q}`, { token: viewer.token }),
        422,
        "validation_failed",
      );
    }
    await expectProblem(await api("GET", "/v1/me/suggestions"), 401, "unauthorized");
    await expectProblem(await api("DELETE", `/v1/me/suggestions/${viewer.username}`), 401, "unauthorized");
  });

  it("reads the follow graph through its indexes: no full scan of follows", async () => {
    const db = dbFor(env.DB);
    const plan = await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${suggestionsSql(newId(), 30)}`);
    const details = plan.map((r) => r.detail);
    const text = details.join("\n");
    expect(text).toMatch(/SEARCH mine USING (COVERING )?INDEX follows_follower_idx/);
    expect(text).toMatch(/SEARCH theirs USING (COVERING )?INDEX follows_follower_idx/);
    expect(text).toMatch(/SEARCH nth USING (COVERING )?INDEX follows_follower_idx/);
    // Neither the follows table (under any alias) nor users is ever read whole.
    for (const line of details) expect(line, text).not.toMatch(/^SCAN (mine|theirs|nth|follows|u|friend)\b/);
    expect(text).toMatch(/SEARCH u USING (COVERING )?INDEX sqlite_autoindex_users_1 \(id=\?\)/);
    // The popular fill walks the followers-count index from its top, LIMIT POPULAR_POOL.
    expect(text).toMatch(/SCAN top USING (COVERING )?INDEX users_followers_count_idx/);
  });
});

describe("DELETE /v1/me/suggestions/{username}", () => {
  it("dismisses for good, idempotently", async () => {
    const [viewer, friend, other] = (await accounts(3)) as Account[];
    if (!viewer || !friend || !other) throw new Error("accounts");
    await follow(viewer, friend);
    await follow(friend, other);
    expect(names(friendsOfFriends(await suggestions(viewer)))).toEqual([other.username]);
    await dismiss(viewer, other);
    await dismiss(viewer, other);
    expect(names(await suggestions(viewer))).not.toContain(other.username);
    // Upper case names the same account.
    await dismiss(viewer, { ...other, username: other.username.toUpperCase() });
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM suggestion_dismissals WHERE user_id = ?")
      .bind(viewer.id)
      .all<{ n: number }>();
    expect(results).toEqual([{ n: 1 }]);
  });

  it("answers 404 for an unknown account or one across a block, 422 for yourself or a body", async () => {
    const [viewer, blocked, blocker] = (await accounts(3)) as Account[];
    if (!viewer || !blocked || !blocker) throw new Error("accounts");
    await call("POST", `/v1/users/${blocked.username}/block`, viewer);
    await call("POST", `/v1/users/${viewer.username}/block`, blocker);
    await expectProblem(
      await api("DELETE", "/v1/me/suggestions/nobody_here_at_all", { token: viewer.token }),
      404,
      "not_found",
    );
    for (const u of [blocked, blocker]) {
      await expectProblem(
        await api("DELETE", `/v1/me/suggestions/${u.username}`, { token: viewer.token }),
        404,
        "not_found",
      );
    }
    await expectProblem(
      await api("DELETE", `/v1/me/suggestions/${viewer.username}`, { token: viewer.token }),
      422,
      "validation_failed",
    );
    await expectProblem(
      await api("DELETE", `/v1/me/suggestions/${"x".repeat(65)}`, { token: viewer.token }),
      422,
      "validation_failed",
    );
    await expectProblem(
      await api("DELETE", `/v1/me/suggestions/${blocked.username}`, { token: viewer.token, body: { why: "no" } }),
      422,
      "validation_failed",
    );
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM suggestion_dismissals WHERE user_id = ?")
      .bind(viewer.id)
      .all<{ n: number }>();
    expect(results).toEqual([{ n: 0 }]);
  });
});
