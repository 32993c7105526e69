import { evictDurableObject, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ChatDeps, sendMessage } from "../../src/features/chat/chat.service";
import { ApiError } from "../../src/http/errors";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { type Realtime, realtimeFor } from "../../src/platform/realtime";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import {
  flushInbox,
  history,
  inbox,
  joinHub,
  joinRoom,
  roomStub,
  sendHttp,
  startConversation,
  TestSocket,
  ticketFor,
  upgrade,
} from "../helpers/chat";
import { createUser } from "../helpers/factories";

const wsPath = (conversationId: string, ticket: string) => `/v1/conversations/${conversationId}/ws?ticket=${ticket}`;

describe("chat over WebSockets", () => {
  it("two members exchange messages in real time and both see the history", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    const b = await joinRoom(ben, convo.id);

    a.send({ type: "message", body: "hi ben", client_id: "a1" });
    await b.until((f) => f.some((x) => x.type === "message"), "ben receives");
    b.send({ type: "message", body: "hi ana", client_id: "b1" });
    await a.until((f) => f.filter((x) => x.type === "message").length === 2, "ana receives the reply");

    expect(a.messages().map((m) => [m.body, m.sender, m.seq])).toEqual([
      ["hi ben", ana.id, 1],
      ["hi ana", ben.id, 2],
    ]);
    expect(b.messages().map((m) => m.id)).toEqual(a.messages().map((m) => m.id));
    for (const user of [ana, ben]) {
      expect((await history(user, convo.id)).map((m) => m.body)).toEqual(["hi ana", "hi ben"]);
    }
    a.close();
    b.close();
  });

  it("an HTTP send is delivered to open sockets and to every member's hub", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const room = await joinRoom(ben, convo.id);
    const hub = await joinHub(ben);
    const res = await sendHttp(ana, convo.id, "over http", "h1");
    expect(res.status).toBe(201);
    const sent = (await res.json()) as { id: string; body: string };
    await room.until((f) => f.some((x) => x.type === "message"), "room frame");
    await hub.until((f) => f.some((x) => x.type === "message"), "hub event");
    expect(room.messages()[0]?.id).toBe(sent.id);
    expect(hub.of("message")[0]).toMatchObject({ conversation_id: convo.id, message: { id: sent.id } });
    room.close();
    hub.close();
  });

  it("relays typing to the others without storing it, and read frames become receipts", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    const b = await joinRoom(ben, convo.id);
    a.send({ type: "typing" });
    await b.until((f) => f.some((x) => x.type === "typing"), "typing");
    expect(b.of("typing")[0]).toEqual({ type: "typing", user: ana.id });
    expect(a.of("typing")).toEqual([]);

    a.send({ type: "message", body: "read me", client_id: "r1" });
    const [frame] = await b.until((f) => f.some((x) => x.type === "message"), "message");
    const message = b.messages()[0];
    expect(frame).toBeDefined();
    b.send({ type: "read", message_id: message?.id });
    await a.until((f) => f.some((x) => x.type === "read"), "read receipt");
    expect(a.of("read")[0]).toMatchObject({ user: ben.id, message_id: message?.id, seq: 1 });
    expect(await history(ana, convo.id)).toHaveLength(1);
    a.close();
    b.close();
  });

  it("answers a malformed frame with an error frame and keeps the connection open", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    a.send("not json");
    a.send({ type: "shout", body: "x" });
    a.send({ type: "message", body: "x".repeat(2001), client_id: "long" });
    a.send({ type: "message", body: "   ", client_id: "blank" });
    a.send({ type: "message", body: "ok", client_id: "bad id with spaces" });
    a.send({ type: "read", message_id: "01NOPE" });
    await a.until((f) => f.filter((x) => x.type === "error").length === 6, "six errors");
    expect(a.of("error").map((f) => f.code)).toEqual([
      "invalid_frame",
      "invalid_frame",
      "invalid_message",
      "invalid_message",
      "invalid_message",
      "not_found",
    ]);
    expect(a.of("error")[2]).toMatchObject({ client_id: "long" });
    expect(a.closed).toBeNull();
    a.send({ type: "message", body: "x".repeat(2000), client_id: "max" });
    await a.until((f) => f.some((x) => x.type === "message"), "a 2,000-character message");
    expect(await history(ana, convo.id)).toHaveLength(1);
    a.close();
  });

  it("closes the socket with 1009 on a frame larger than 8 KB", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    a.send({ type: "message", body: "x".repeat(9000), client_id: "huge" });
    expect((await a.waitClosed()).code).toBe(1009);
    expect(await history(ana, convo.id)).toEqual([]);
  });

  it("answers pings without a message being stored", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    a.send({ type: "ping" });
    await a.until((f) => f.some((x) => x.type === "pong"), "pong");
    a.close();
  });

  it("limits a connection's burst: past 20 quick frames it answers rate_limited and stores nothing more", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    for (let i = 0; i < 30; i++) a.send({ type: "message", body: `m${i}`, client_id: `burst-${i}` });
    await a.until((f) => f.filter((x) => x.type === "message" || x.type === "error").length === 30, "30 answers");
    const limited = a.of("error").filter((f) => f.code === "rate_limited");
    expect(limited.length).toBeGreaterThanOrEqual(8);
    expect(a.of("message").length).toBeLessThanOrEqual(22);
    expect((await history(ana, convo.id, "?limit=50")).length).toBe(a.of("message").length);
    expect(a.closed).toBeNull();
    // Other connections have their own budget.
    const b = await joinRoom(ben, convo.id);
    b.send({ type: "message", body: "still fine", client_id: "b-ok" });
    await b.until(
      (f) => f.some((x) => x.type === "message" && (x.message as { body: string }).body === "still fine"),
      "b",
    );
    a.close();
    b.close();
  });

  it("refills a connection's budget as the clock moves: no waiting, the room reads the platform clock", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    const start = Date.now();
    let now = start;
    setClock({ now: () => new Date(now) });
    try {
      // Time stands still: exactly the burst of 20 goes through, the 21st is refused.
      for (let i = 0; i < 21; i++) a.send({ type: "message", body: `m${i}`, client_id: `still-${i}` });
      await a.until((f) => f.filter((x) => x.type === "message" || x.type === "error").length === 21, "21 answers");
      expect(a.of("message")).toHaveLength(20);
      expect(a.of("error")).toEqual([
        { type: "error", code: "rate_limited", detail: "Slow down: at most 10 frames a second" },
      ]);
      a.send({ type: "message", body: "still too soon", client_id: "too-soon" });
      await a.until((f) => f.filter((x) => x.type === "error").length === 2, "refused again");

      // One second later by the clock: 10 frames a second means 10 more, and not 11.
      now += 1000;
      for (let i = 0; i < 11; i++) a.send({ type: "message", body: `later ${i}`, client_id: `later-${i}` });
      await a.until((f) => f.filter((x) => x.type === "message" || x.type === "error").length === 33, "11 more");
      expect(a.messages().filter((m) => m.body.startsWith("later"))).toHaveLength(10);
      expect(a.of("error").map((f) => f.code)).toEqual(["rate_limited", "rate_limited", "rate_limited"]);
      // Stamped with the clock's time, too.
      const stamps = new Set(a.messages().map((m) => m.created_at));
      expect(stamps).toEqual(new Set([new Date(start).toISOString(), new Date(start + 1000).toISOString()]));
    } finally {
      setClock(null);
      a.close();
    }
  });

  it("stores a message once when its client_id is sent again, over a socket or HTTP", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const first = await sendHttp(ana, convo.id, "once", "dup-1");
    const again = await sendHttp(ana, convo.id, "once", "dup-1");
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const [m1, m2] = [(await first.json()) as { id: string }, (await again.json()) as { id: string }];
    expect(m2.id).toBe(m1.id);

    const a = await joinRoom(ana, convo.id);
    a.send({ type: "message", body: "once", client_id: "dup-1" });
    await a.until((f) => f.some((x) => x.type === "message"), "echo");
    expect(a.messages()[0]?.id).toBe(m1.id);
    // Another sender may use the same client id: ids are unique per sender.
    expect((await sendHttp(ben, convo.id, "mine", "dup-1")).status).toBe(201);
    expect((await history(ana, convo.id)).map((m) => m.body)).toEqual(["mine", "once"]);
    a.close();
  });

  it("numbers 100 concurrent sends 1..100 with no gaps or repeats", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        roomStub(convo.id).post(convo.id, i % 2 ? ana.id : ben.id, { body: `n${i}`, clientId: `c${i}` }),
      ),
    );
    const seqs = results.map((r) => (r.ok ? r.message.seq : -1)).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

describe("history", () => {
  it("pages newest first with a stable cursor while messages arrive", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    for (let i = 1; i <= 5; i++) expect((await sendHttp(ana, convo.id, `m${i}`, `p${i}`)).status).toBe(201);
    const page1 = await api("GET", `/v1/conversations/${convo.id}/messages?limit=2`, { token: ben.accessToken });
    const body1 = (await page1.json()) as { items: { body: string }[]; next_cursor: string };
    expect(body1.items.map((m) => m.body)).toEqual(["m5", "m4"]);
    await sendHttp(ana, convo.id, "m6", "p6");
    const page2 = await api("GET", `/v1/conversations/${convo.id}/messages?limit=2&cursor=${body1.next_cursor}`, {
      token: ben.accessToken,
    });
    const body2 = (await page2.json()) as { items: { body: string }[]; next_cursor: string };
    expect(body2.items.map((m) => m.body)).toEqual(["m3", "m2"]);
    const page3 = await api("GET", `/v1/conversations/${convo.id}/messages?limit=2&cursor=${body2.next_cursor}`, {
      token: ben.accessToken,
    });
    const body3 = (await page3.json()) as { items: { body: string }[]; next_cursor: string | null };
    expect(body3.items.map((m) => m.body)).toEqual(["m1"]);
    expect(body3.next_cursor).toBeNull();
  });

  it("refuses a cursor from another conversation", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const one = await startConversation(ana, [ben]);
    const two = await startConversation(ana, [cy]);
    for (let i = 0; i < 3; i++) await sendHttp(ana, one.id, `x${i}`, `x${i}`);
    const res = await api("GET", `/v1/conversations/${one.id}/messages?limit=1`, { token: ana.accessToken });
    const { next_cursor } = (await res.json()) as { next_cursor: string };
    await expectProblem(
      await api("GET", `/v1/conversations/${two.id}/messages?cursor=${next_cursor}`, { token: ana.accessToken }),
      400,
      "invalid_cursor",
    );
  });

  it("answers 422 for an empty, blank, overlong or unknown-field message over HTTP and stores nothing", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const path = `/v1/conversations/${convo.id}/messages`;
    const bad = [
      { body: "", client_id: "e1" },
      { body: "  \n ", client_id: "e2" },
      { body: "x".repeat(2001), client_id: "e3" },
      { body: "ok", client_id: "" },
      { body: "ok", client_id: "has space" },
      { body: "ok" },
      { body: "ok", client_id: "e4", sender: ben.id },
    ];
    for (const body of bad)
      await expectProblem(await api("POST", path, { token: ana.accessToken, body }), 422, "validation_failed");
    // 2,000 emoji are 2,000 characters (4,000 UTF-16 units): allowed.
    expect((await sendHttp(ana, convo.id, "😀".repeat(2000), "emoji")).status).toBe(201);
    expect(await history(ana, convo.id)).toHaveLength(1);
  });
});

describe("who may connect", () => {
  it("refuses a non-member a ticket, the history and a send with 404, and never wakes the room", async () => {
    const [ana, ben, eve] = [await createUser(), await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const before = (await listDurableObjectIds(env.CHAT_ROOM)).length;
    await expectProblem(
      await api("POST", "/v1/realtime/tickets", {
        token: eve.accessToken,
        body: { scope: `conversation:${convo.id}` },
      }),
      404,
      "not_found",
    );
    await expectProblem(
      await api("GET", `/v1/conversations/${convo.id}/messages`, { token: eve.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await sendHttp(eve, convo.id, "let me in"), 404, "not_found");
    await expectProblem(
      await api("GET", `/v1/conversations/${convo.id}`, { token: eve.accessToken }),
      404,
      "not_found",
    );
    // Eve's own user ticket is not a ticket for this room.
    const userTicket = await ticketFor(eve, "user");
    await expectProblem(await upgrade(wsPath(convo.id, userTicket)), 404, "not_found");
    expect((await listDurableObjectIds(env.CHAT_ROOM)).length).toBe(before);
  });

  it("refuses a reused ticket, an expired ticket, a made-up ticket and a ticket for another conversation", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const other = await startConversation(ana, [cy]);

    const once = await ticketFor(ana, `conversation:${convo.id}`);
    const ok = await upgrade(wsPath(convo.id, once));
    expect(ok.status).toBe(101);
    new TestSocket(ok.webSocket as WebSocket).close();
    await expectProblem(await upgrade(wsPath(convo.id, once)), 401, "unauthorized");

    const stale = await ticketFor(ana, `conversation:${convo.id}`);
    await env.DB.prepare("UPDATE realtime_tickets SET expires_at = ? WHERE user_id = ? AND used_at IS NULL")
      .bind(new Date(Date.now() - 1000).toISOString(), ana.id)
      .run();
    await expectProblem(await upgrade(wsPath(convo.id, stale)), 401, "unauthorized");

    await expectProblem(await upgrade(wsPath(convo.id, "made-up-ticket")), 401, "unauthorized");
    await expectProblem(await upgrade(`/v1/conversations/${convo.id}/ws`), 422, "validation_failed");

    const forOther = await ticketFor(ana, `conversation:${other.id}`);
    await expectProblem(await upgrade(wsPath(convo.id, forOther)), 404, "not_found");
    // It was used up by that attempt, so it cannot be replayed on its own room either.
    await expectProblem(await upgrade(wsPath(other.id, forOther)), 401, "unauthorized");
  });

  it("gives each ticket a 60-second life, and 422 for an unknown scope", async () => {
    const [ana] = [await createUser()];
    const res = await api("POST", "/v1/realtime/tickets", { token: ana.accessToken, body: { scope: "user" } });
    const body = (await res.json()) as { ticket: string; expires_at: string };
    const life = Date.parse(body.expires_at) - Date.now();
    expect(life).toBeGreaterThan(50_000);
    expect(life).toBeLessThanOrEqual(60_000);
    expect(body.ticket.length).toBeGreaterThanOrEqual(40);
    for (const scope of ["everything", "live:", "conversation:", "conversation:../x", ""]) {
      await expectProblem(
        await api("POST", "/v1/realtime/tickets", { token: ana.accessToken, body: { scope } }),
        422,
        "validation_failed",
      );
    }
    await expectProblem(
      await api("POST", "/v1/realtime/tickets", { token: ana.accessToken, body: { scope: "conversation:01NOSUCH" } }),
      404,
      "not_found",
    );
  });

  it("answers 426 without an upgrade header and 403 for a foreign Origin, keeping the ticket unused", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const ticket = await ticketFor(ana, `conversation:${convo.id}`);
    const plain = await api("GET", wsPath(convo.id, ticket));
    await expectProblem(plain, 426, "upgrade_required");
    await expectProblem(await upgrade(wsPath(convo.id, ticket), { origin: "https://evil.example" }), 403, "forbidden");
    const res = await upgrade(wsPath(convo.id, ticket), { origin: "http://localhost:3000" });
    expect(res.status).toBe(101);
    new TestSocket(res.webSocket as WebSocket).close();
  });

  it("admits a socket from the Worker's own origin (the web client's) without listing it in CORS_ORIGINS", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    // upgrade() requests http://localhost/…: the web client served by this Worker sends that origin.
    const res = await upgrade(wsPath(convo.id, await ticketFor(ana, `conversation:${convo.id}`)), {
      origin: "http://localhost",
    });
    expect(res.status).toBe(101);
    new TestSocket(res.webSocket as WebSocket).close();
    const other = await upgrade(wsPath(convo.id, await ticketFor(ana, `conversation:${convo.id}`)), {
      origin: "http://localhost:8788",
    });
    await expectProblem(other, 403, "forbidden");
  });

  it("allows at most 5 sockets per member in one room", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const sockets: TestSocket[] = [];
    for (let i = 0; i < 5; i++) sockets.push(await joinRoom(ana, convo.id));
    const ticket = await ticketFor(ana, `conversation:${convo.id}`);
    await expectProblem(await upgrade(wsPath(convo.id, ticket)), 429, "rate_limited");
    for (const s of sockets) s.close();
  });
});

describe("faults", () => {
  it("keeps the history through an eviction, and a client that reconnects with since gets what it missed", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const b = await joinRoom(ben, convo.id);
    await sendHttp(ana, convo.id, "one", "e1");
    await sendHttp(ana, convo.id, "two", "e2");
    await b.until((f) => f.filter((x) => x.type === "message").length === 2, "two messages");

    await evictDurableObject(roomStub(convo.id), { webSockets: "close" });
    await b.waitClosed();
    expect((await history(ana, convo.id)).map((m) => m.body)).toEqual(["two", "one"]);

    await sendHttp(ana, convo.id, "three", "e3");
    await sendHttp(ana, convo.id, "four", "e4");
    const again = await joinRoom(ben, convo.id, 2);
    await again.until((f) => f.filter((x) => x.type === "message").length === 2, "the missed two");
    expect(again.messages().map((m) => [m.seq, m.body])).toEqual([
      [3, "three"],
      [4, "four"],
    ]);
    again.close();
  });

  it("keeps serving sockets that hibernated: identity comes back from the attachment", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const a = await joinRoom(ana, convo.id);
    const b = await joinRoom(ben, convo.id);
    await evictDurableObject(roomStub(convo.id));
    a.send({ type: "message", body: "after hibernation", client_id: "h1" });
    await b.until((f) => f.some((x) => x.type === "message"), "delivery after hibernation");
    expect(b.messages()[0]).toMatchObject({ sender: ana.id, body: "after hibernation" });
    a.close();
    b.close();
  });
});

describe("auth", () => {
  it("does not accept an access token in place of a ticket", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await expectProblem(await upgrade(wsPath(convo.id, ana.accessToken.slice(0, 120))), 401, "unauthorized");
    await expectProblem(await upgrade("/v1/realtime?ticket=nope"), 401, "unauthorized");
  });
});

describe("flushing the inbox", () => {
  it("writes the last message and read positions to D1 by alarm, and a repeated alarm changes nothing", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await sendHttp(ana, convo.id, "first", "f1");
    await sendHttp(ana, convo.id, "second", "f2");
    const row = () =>
      env.DB.prepare("SELECT last_seq, last_message_body FROM conversations WHERE id = ?").bind(convo.id).first();
    expect(await row()).toEqual({ last_seq: 0, last_message_body: null });
    await flushInbox(convo.id);
    expect(await row()).toEqual({ last_seq: 2, last_message_body: "second" });
    await flushInbox(convo.id);
    expect(await row()).toEqual({ last_seq: 2, last_message_body: "second" });
    const [forBen] = await inbox(ben, "inbox").then(async (i) => (i.length ? i : inbox(ben, "requests")));
    expect(forBen?.unread_count).toBe(2);
  });
});

describe("a failing inbox flush", () => {
  it("loses nothing: the room re-arms its alarm and a later flush writes the latest state", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await sendHttp(ana, convo.id, "during the outage", "o1");
    // Make D1 refuse the flush: the table it writes is briefly missing.
    await env.DB.prepare("ALTER TABLE conversations RENAME TO conversations_away").run();
    try {
      expect(await flushInbox(convo.id)).toBe(true);
      expect(await runInDurableObject(roomStub(convo.id), (_, state) => state.storage.getAlarm())).not.toBeNull();
    } finally {
      await env.DB.prepare("ALTER TABLE conversations_away RENAME TO conversations").run();
    }
    await sendHttp(ana, convo.id, "after it", "o2");
    expect(await flushInbox(convo.id)).toBe(true);
    const row = await env.DB.prepare("SELECT last_seq, last_message_body FROM conversations WHERE id = ?")
      .bind(convo.id)
      .first();
    expect(row).toEqual({ last_seq: 2, last_message_body: "after it" });
  });
});

describe("HTTP send limit", () => {
  it(
    "answers 429 with retry-after past 100 sends in 10 seconds, storing only what it accepted",
    WAITS_FOR_A_WINDOW,
    async () => {
      await startInOneWindow(10, 5_000);
      const [ana, ben] = [await createUser(), await createUser()];
      const convo = await startConversation(ana, [ben]);
      const results = await Promise.all(
        Array.from({ length: 110 }, (_, i) => sendHttp(ana, convo.id, `s${i}`, `s${i}`)),
      );
      const accepted = results.filter((r) => r.status === 201).length;
      const limited = results.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(10);
      expect(limited[0]?.headers.get("retry-after")).toBe("10");
      await expectProblem(limited[0] as Response, 429, "rate_limited");
      const stored = await runInDurableObject(
        roomStub(convo.id),
        (_, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages").one().n,
      );
      expect(stored).toBe(accepted);
      // Ben has his own budget.
      expect((await sendHttp(ben, convo.id, "mine", "b-own")).status).toBe(201);
    },
  );
});

describe("ticket limit", () => {
  it("answers 429 with retry-after on the 61st ticket in a minute", WAITS_FOR_A_WINDOW, async () => {
    await startInOneWindow(60, 15_000);
    const [ana, ben] = [await createUser(), await createUser()];
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await api("POST", "/v1/realtime/tickets", { token: ana.accessToken, body: { scope: "user" } });
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 201)).toBe(true);
    const limited = await api("POST", "/v1/realtime/tickets", { token: ana.accessToken, body: { scope: "user" } });
    await expectProblem(limited, 429, "rate_limited");
    expect(limited.headers.get("retry-after")).toBe("60");
    // Ben has his own budget.
    expect(await ticketFor(ben, "user")).toMatch(/\S/);
  });
});

describe("an overloaded room", () => {
  it("answers 503 with retry-after instead of a 500, and passes other faults on", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const failing = (err: Error): Realtime => ({
      ...realtimeFor(env),
      room: () =>
        ({
          post: () => Promise.reject(err),
        }) as unknown as ReturnType<Realtime["room"]>,
    });
    const deps = (realtime: Realtime): ChatDeps => ({ ...platformFor(env), realtime });
    const overloaded = Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
    const refused = await sendMessage(deps(failing(overloaded)), ana.id, convo.id, {
      body: "x",
      client_id: "o1",
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ code: "unavailable", status: 503, headers: { "retry-after": "1" } });
    const broken = new Error("something else");
    await expect(sendMessage(deps(failing(broken)), ana.id, convo.id, { body: "x", client_id: "o2" })).rejects.toBe(
      broken,
    );
  });
});
