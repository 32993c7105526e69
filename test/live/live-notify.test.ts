import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LIVE_NOTIFY_CHUNK } from "../../src/features/notifications/notifications.service";
import { api } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { goLive, inputUid, startCommentsOnly, webhook, withoutStream } from "../helpers/live";
import { groupsOf, settle, storedFor } from "../helpers/notifications";

/** How many `live_started` notifications exist about this session, and for how many recipients. */
async function toldAbout(sessionId: string): Promise<{ rows: number; recipients: number }> {
  const row = await env.DB.prepare(
    "SELECT COUNT(*) AS rows, COUNT(DISTINCT recipient_id) AS recipients FROM notifications WHERE live_id = ?1",
  )
    .bind(sessionId)
    .first<{ rows: number; recipients: number }>();
  return { rows: row?.rows ?? 0, recipients: row?.recipients ?? 0 };
}

const liveGroups = async (user: TestUser) =>
  (await groupsOf(user, "?types=live_started")).items.filter((g) => g.type === "live_started");

const userAction = (method: string, path: string, user: TestUser) =>
  api(method, path, { token: user.accessToken }).then((res) => expect(res.status, path).toBe(200));

describe("live_started notifications", () => {
  it("a comments-only session started over HTTP tells a follower, with the live target; a non-follower gets nothing", async () => {
    const [host, fan, stranger] = [await createUser(), await createUser(), await createUser()];
    await follow(fan, host);
    const session = await startCommentsOnly(host, { title: "Q&A" });
    await settle(host);
    const [group, ...rest] = await liveGroups(fan);
    expect(rest).toEqual([]);
    expect(group).toMatchObject({
      type: "live_started",
      actors: [{ id: host.id, username: host.username }],
      actor_count: 1,
      post: null,
      comment: null,
      live: { id: session.id, title: "Q&A", status: "live" },
    });
    expect(await storedFor(stranger)).toEqual([]);
    expect(await storedFor(host)).toEqual([]);
    // Starting again changes nothing and tells nobody twice.
    expect((await withoutStream("POST", `/v1/live/${session.id}/start`, host)).status).toBe(200);
    await settle(host);
    expect(await toldAbout(session.id)).toEqual({ rows: 1, recipients: 1 });
    // Ending the session keeps the notification; its target says it ended.
    expect((await withoutStream("POST", `/v1/live/${session.id}/end`, host)).status).toBe(200);
    expect((await liveGroups(fan)).map((g) => g.live?.status)).toEqual(["ended"]);
  });

  it("a Stream session made live by a signed webhook tells followers once, reconnects included", async () => {
    const [host, fan] = [await createUser(), await createUser()];
    await follow(fan, host);
    const session = await goLive(host, { title: "Sunset set" });
    const uid = inputUid(session);
    await settle(host);
    expect(await storedFor(fan)).toEqual([]);
    expect((await webhook(uid, "live_input.connected")).status).toBe(204);
    await settle(host);
    expect((await liveGroups(fan)).map((g) => g.live)).toEqual([
      { id: session.id, title: "Sunset set", status: "live" },
    ]);
    // A disconnection and a reconnection (and a repeated webhook) stage nothing more.
    await webhook(uid, "live_input.disconnected");
    await webhook(uid, "live_input.connected");
    await webhook(uid, "live_input.connected");
    await settle(host);
    expect(await toldAbout(session.id)).toEqual({ rows: 1, recipients: 1 });
    const staged = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbox WHERE json_extract(job, '$.event.session_id') = ?1",
    )
      .bind(session.id)
      .first<{ n: number }>();
    expect(staged?.n).toBe(1);
  });

  it("a close-friends session tells close friends only; blocked, blocking and muting followers get nothing", async () => {
    const host = await createUser();
    const [friend, follower, blocked, blocking, muting] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    for (const u of [friend, follower, blocked, blocking, muting]) await follow(u, host);
    await userAction("PUT", `/v1/me/close-friends/${friend.username}`, host);
    for (const u of [blocked, blocking, muting]) {
      await userAction("PUT", `/v1/me/close-friends/${u.username}`, host);
    }
    await userAction("POST", `/v1/users/${blocked.username}/block`, host);
    await userAction("POST", `/v1/users/${host.username}/block`, blocking);
    await userAction("POST", `/v1/users/${host.username}/mute`, muting);
    const session = await startCommentsOnly(host, { audience: "close_friends" });
    await settle(host);
    expect((await liveGroups(friend)).map((g) => g.live?.id)).toEqual([session.id]);
    for (const u of [follower, blocked, blocking, muting]) expect(await storedFor(u)).toEqual([]);
    // Taken off the list later: the group is left out at read time, as a post's would be.
    await api("DELETE", `/v1/me/close-friends/${friend.username}`, { token: host.accessToken });
    expect(await liveGroups(friend)).toEqual([]);
  });

  it("a block the consumer finds between a follow and the fan-out tells nobody across it", async () => {
    const [host, fan, other] = [await createUser(), await createUser(), await createUser()];
    await follow(fan, host);
    await follow(other, host);
    // The follow edge stays (as if the block landed after the chunk was read): the policy still holds.
    await env.DB.prepare("INSERT INTO blocks (blocker_id, blocked_id, id, created_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(host.id, fan.id, `blk-${fan.id}`, new Date().toISOString())
      .run();
    await startCommentsOnly(host);
    await settle(host);
    expect(await storedFor(fan)).toEqual([]);
    expect((await storedFor(other)).map((n) => n.type)).toEqual(["live_started"]);
  });

  it("a session that ended before its fan-out ran tells nobody", async () => {
    const [host, fan] = [await createUser(), await createUser()];
    await follow(fan, host);
    const session = await startCommentsOnly(host);
    expect((await withoutStream("POST", `/v1/live/${session.id}/end`, host)).status).toBe(200);
    await settle(host);
    expect(await storedFor(fan)).toEqual([]);
  });

  it("fans out in chunks: more followers than one chunk are each told exactly once, redelivery included", async () => {
    const host = await createUser();
    const total = LIVE_NOTIFY_CHUNK * 2 + 7;
    const ids = Array.from({ length: total }, (_, i) => `lnf-${host.id}-${String(i).padStart(4, "0")}`);
    const now = new Date(Date.now() - 60 * 24 * 3600_000).toISOString();
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
         SELECT value, lower(value), lower(value) || '@example.test', 'x', ?2, ?2 FROM json_each(?1)`,
      ).bind(JSON.stringify(ids), now),
      env.DB.prepare(
        `INSERT INTO follows (follower_id, followee_id, id, created_at)
         SELECT value, ?2, 'edge-' || value, ?3 FROM json_each(?1)`,
      ).bind(JSON.stringify(ids), host.id, now),
    ]);
    const session = await startCommentsOnly(host);
    await settle(host);
    expect(await toldAbout(session.id)).toEqual({ rows: total, recipients: total });
    // Running every job again (a redelivery of each chunk) writes nothing twice.
    await settle(host);
    expect(await toldAbout(session.id)).toEqual({ rows: total, recipients: total });
  });
});
