import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { type Frame, TestSocket, upgrade } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { startCommentsOnly } from "../helpers/live";
import { publish } from "../helpers/posts";

interface Comment {
  id: string;
  seq: number;
  user: { id: string; username: string };
  body: string;
  client_id: string;
  offset_ms: number;
}

/** A comments-only session, started by its host: the room's tests need no video. */
async function liveSession(host: TestUser, audience = "public"): Promise<string> {
  return (await startCommentsOnly(host, { audience })).id;
}

async function ticket(user: TestUser, scope: string): Promise<Response> {
  return api("POST", "/v1/realtime/tickets", { token: user.accessToken, body: { scope } });
}

async function join(user: TestUser, sessionId: string): Promise<TestSocket> {
  const res = await ticket(user, `live:${sessionId}`);
  expect(res.status, await res.clone().text()).toBe(201);
  const { ticket: t } = (await res.json()) as { ticket: string };
  const up = await upgrade(`/v1/live/${sessionId}/ws?ticket=${t}`);
  if (up.status !== 101 || !up.webSocket) throw new Error(`no upgrade: ${up.status} ${await up.text()}`);
  const socket = new TestSocket(up.webSocket);
  await socket.until((f) => f.some((x) => x.type === "ready"), "ready");
  return socket;
}

const commentsIn = (socket: TestSocket): Comment[] =>
  socket.of("comment").flatMap((f) => (f as unknown as { comments: Comment[] }).comments);

const hasComment = (socket: TestSocket, body: string) => (frames: Frame[]) =>
  frames.length >= 0 && commentsIn(socket).some((c) => c.body === body);

describe("a live room", () => {
  it("delivers comments in batched frames to everyone, stores each once, and replays them with offsets", async () => {
    const [host, a, b] = [await createUser(), await createUser(), await createUser()];
    const id = await liveSession(host);
    const [hs, as, bs] = [await join(host, id), await join(a, id), await join(b, id)];
    expect(as.of("ready")[0]).toMatchObject({ role: "viewer", comments_off: false, pinned: null, recent: [] });
    expect(hs.of("ready")[0]).toMatchObject({ role: "host" });
    for (let i = 0; i < 5; i++) as.send({ type: "comment", body: `hello ${i}`, client_id: `c${i}` });
    for (let i = 5; i < 10; i++) as.send({ type: "comment", body: `more ${i}`, client_id: `c${i}` });
    as.send({ type: "comment", body: "hello 0", client_id: "c0" }); // a resend: stored once
    await bs.until(hasComment(bs, "more 9"), "ten comments");
    expect(commentsIn(bs).map((c) => c.body)).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `hello ${i}`),
      ...[5, 6, 7, 8, 9].map((i) => `more ${i}`),
    ]);
    // Batched: ten comments sent back to back arrive in fewer frames than comments.
    expect(bs.of("comment").length).toBeLessThan(10);
    await hs.until(hasComment(hs, "more 9"), "ten comments at the host");
    expect(commentsIn(hs).map((c) => c.user.username)).toEqual(Array(10).fill(a.username));

    const page = await api("GET", `/v1/live/${id}/comments?limit=3`, { token: b.accessToken });
    const first = (await page.json()) as { items: Comment[]; next_cursor: string };
    expect(first.items.map((c) => c.seq)).toEqual([1, 2, 3]);
    expect(first.items.every((c) => c.offset_ms >= 0)).toBe(true);
    const rest = await api("GET", `/v1/live/${id}/comments?limit=3&cursor=${first.next_cursor}`, {
      token: b.accessToken,
    });
    expect(((await rest.json()) as { items: Comment[] }).items.map((c) => c.body)).toEqual([
      "hello 3",
      "hello 4",
      "more 5",
    ]);
    for (const s of [hs, as, bs]) s.close();
  });

  it("aggregates hearts and sends the viewer count", async () => {
    const [host, a] = [await createUser(), await createUser()];
    const id = await liveSession(host);
    const hs = await join(host, id);
    const as = await join(a, id);
    for (let i = 0; i < 4; i++) as.send({ type: "reaction", kind: "heart" });
    await hs.until(() => hs.of("reactions").reduce((n, f) => n + Number(f.count), 0) === 4, "four hearts");
    expect(hs.of("reactions").at(-1)?.total).toBe(4);
    await hs.until(() => hs.of("viewer_count").some((f) => f.count === 2), "viewer count 2", 5000);
    hs.close();
    as.close();
  });

  it("the host moderates: pin, remove, comments off, mute; viewers may not", async () => {
    const [host, a, b] = [await createUser(), await createUser(), await createUser()];
    const id = await liveSession(host);
    const [hs, as, bs] = [await join(host, id), await join(a, id), await join(b, id)];
    as.send({ type: "comment", body: "pin me", client_id: "p1" });
    as.send({ type: "comment", body: "remove me", client_id: "r1" });
    await bs.until(hasComment(bs, "remove me"), "comments");
    const [pinMe, removeMe] = commentsIn(bs);

    bs.send({ type: "pin", comment_id: pinMe?.id ?? "" });
    await bs.until(() => bs.of("error").some((f) => f.code === "forbidden"), "forbidden");

    hs.send({ type: "pin", comment_id: pinMe?.id ?? "" });
    await bs.until(() => bs.of("pinned").length > 0, "pinned");
    const pinned = bs.of("pinned")[0] as unknown as { comment: Comment };
    expect(pinned.comment.body).toBe("pin me");
    hs.send({ type: "remove", comment_id: removeMe?.id ?? "" });
    await bs.until(() => bs.of("comment_removed").some((f) => f.comment_id === removeMe?.id), "removed");

    hs.send({ type: "mute", user_id: a.id, muted: true });
    as.send({ type: "comment", body: "muted?", client_id: "m1" });
    await as.until(() => as.of("error").some((f) => f.code === "muted"), "muted error");

    hs.send({ type: "comments_off", off: true });
    await bs.until(() => bs.of("comments_off").some((f) => f.off === true), "comments off");
    bs.send({ type: "comment", body: "closed?", client_id: "x1" });
    await bs.until(() => bs.of("error").some((f) => f.code === "comments_off"), "comments_off error");
    // The host may still comment.
    hs.send({ type: "comment", body: "host here", client_id: "h1" });
    await bs.until(hasComment(bs, "host here"), "host comment");

    // A late joiner gets the pin and the state; removed comments are not replayed.
    const cs = await join(await createUser(), id);
    expect(cs.of("ready")[0]).toMatchObject({ comments_off: true });
    const ready = cs.of("ready")[0] as unknown as { pinned: Comment | null };
    expect(ready.pinned?.body).toBe("pin me");
    const replay = (await (await api("GET", `/v1/live/${id}/comments`, { token: b.accessToken })).json()) as {
      items: Comment[];
    };
    expect(replay.items.map((c) => c.body)).toEqual(["pin me", "host here"]);
    for (const s of [hs, as, bs, cs]) s.close();
  });

  it("a block closes the viewer's socket at once, and they get no new ticket", async () => {
    const [host, a] = [await createUser(), await createUser()];
    const id = await liveSession(host);
    const as = await join(a, id);
    expect((await api("POST", `/v1/users/${a.username}/block`, { token: host.accessToken })).status).toBe(200);
    expect((await as.waitClosed()).code).toBe(4003);
    await expectProblem(await ticket(a, `live:${id}`), 404, "not_found");
  });

  it("refuses bad frames, oversized frames and bursts; ends for everyone", async () => {
    const [host, a] = [await createUser(), await createUser()];
    const id = await liveSession(host);
    const hs = await join(host, id);
    const as = await join(a, id);
    as.send("not json");
    as.send({ type: "comment", body: "x".repeat(301), client_id: "long" });
    as.send({ type: "comment", body: "ok", client_id: "bad id!" });
    await as.until(() => as.of("error").length >= 3, "three errors");
    expect(as.of("error").map((f) => f.code)).toEqual(["invalid_frame", "invalid_comment", "invalid_comment"]);
    for (let i = 0; i < 40; i++) as.send({ type: "reaction", kind: "heart" });
    await as.until(() => as.of("error").some((f) => f.code === "rate_limited"), "rate limited");

    expect((await api("POST", `/v1/live/${id}/end`, { token: host.accessToken })).status).toBe(200);
    await as.until(() => as.of("ended").length === 1, "ended");
    expect((await as.waitClosed()).code).toBe(4000);
    expect((await hs.waitClosed()).code).toBe(4000);
    await expectProblem(await ticket(a, `live:${id}`), 409, "conflict");

    const big = await join(a, await liveSession(host));
    big.send({ type: "comment", body: "y".repeat(9000), client_id: "big" });
    expect((await big.waitClosed()).code).toBe(1009);
  });

  it("keeps its comments when the object is evicted", async () => {
    const [host, a] = [await createUser(), await createUser()];
    const id = await liveSession(host);
    const as = await join(a, id);
    as.send({ type: "comment", body: "before eviction", client_id: "e1" });
    await as.until(hasComment(as, "before eviction"), "comment");
    as.close();
    await evictDurableObject(env.LIVE_ROOM.get(env.LIVE_ROOM.idFromName(`live:${id}`)));
    const bs = await join(a, id);
    const ready = bs.of("ready")[0] as unknown as { recent: Comment[] };
    expect(ready.recent.map((c) => c.body)).toEqual(["before eviction"]);
    bs.send({ type: "comment", body: "after eviction", client_id: "e2" });
    await bs.until(hasComment(bs, "after eviction"), "after");
    const replay = (await (await api("GET", `/v1/live/${id}/comments`, { token: a.accessToken })).json()) as {
      items: Comment[];
    };
    expect(replay.items.map((c) => [c.seq, c.body])).toEqual([
      [1, "before eviction"],
      [2, "after eviction"],
    ]);
    bs.close();
  });

  it("tickets follow the session's audience and blocks; a non-follower cannot join a followers-only room", async () => {
    const [host, fan, stranger] = [await createUser(), await createUser(), await createUser()];
    await follow(fan, host);
    const id = await liveSession(host, "followers");
    expect((await ticket(fan, `live:${id}`)).status).toBe(201);
    await expectProblem(await ticket(stranger, `live:${id}`), 404, "not_found");
    // A ticket for another room does not open this one.
    const other = await liveSession(await createUser());
    const wrong = (await (await ticket(fan, `live:${other}`)).json()) as { ticket: string };
    await expectProblem(await upgrade(`/v1/live/${id}/ws?ticket=${wrong.ticket}`), 404, "not_found");
  });
});

describe("a post's live comments", () => {
  it("pushes comments created and deleted over HTTP to the post's viewers; the socket is read only", async () => {
    const [author, viewer, commenter] = [await createUser(), await createUser(), await createUser()];
    const post = await publish(author);
    const res = await ticket(viewer, `post:${post.id}`);
    expect(res.status).toBe(201);
    const { ticket: t } = (await res.json()) as { ticket: string };
    const up = await upgrade(`/v1/posts/${post.id}/comments/live?ticket=${t}`);
    expect(up.status).toBe(101);
    const socket = new TestSocket(up.webSocket as WebSocket);
    await socket.until((f) => f.some((x) => x.type === "ready"), "ready");

    const created = await api("POST", `/v1/posts/${post.id}/comments`, {
      token: commenter.accessToken,
      body: { body: "live on a post" },
    });
    const { id: commentId } = (await created.json()) as { id: string };
    await socket.until(hasComment(socket, "live on a post"), "comment");
    expect(commentsIn(socket)[0]).toMatchObject({ id: commentId, user: { username: commenter.username } });

    expect((await api("DELETE", `/v1/comments/${commentId}`, { token: commenter.accessToken })).status).toBe(204);
    await socket.until(() => socket.of("comment_removed").some((f) => f.comment_id === commentId), "removed");

    socket.send({ type: "comment", body: "from the socket", client_id: "s1" });
    await socket.until(() => socket.of("error").some((f) => f.code === "read_only"), "read only");
    socket.close();
  });

  it("is only for people who may see the post", async () => {
    const [author, stranger] = [await createUser(), await createUser()];
    const post = await publish(author, { audience: "followers" });
    await expectProblem(await ticket(stranger, `post:${post.id}`), 404, "not_found");
  });
});
