import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, startInOneWindow, WAITS_FOR_A_WINDOW } from "../helpers/api";
import {
  type ConversationBody,
  flushInbox,
  history,
  inbox,
  joinHub,
  joinRoom,
  sendHttp,
  startConversation,
  ticketFor,
  upgrade,
} from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";

const create = (creator: TestUser, usernames: string[], extra: Record<string, unknown> = {}) =>
  api("POST", "/v1/conversations", { token: creator.accessToken, body: { usernames, ...extra } });

const conversationCount = async (userId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM conversation_members WHERE user_id = ?")
      .bind(userId)
      .first<{ n: number }>()
  )?.n;

describe("starting conversations", () => {
  it("creates a 1:1 once: either person asking again gets the same one with 200", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const first = await create(ana, [ben.username]);
    expect(first.status).toBe(201);
    const convo = (await first.json()) as ConversationBody;
    expect(convo).toMatchObject({ kind: "direct", title: null, last_message: null, unread_count: 0 });
    expect(convo.members.map((m) => m.username).sort()).toEqual([ana.username, ben.username].sort());

    const again = await create(ana, [ben.username.toUpperCase()]);
    expect(again.status).toBe(200);
    expect(((await again.json()) as ConversationBody).id).toBe(convo.id);
    const fromBen = await create(ben, [ana.username]);
    expect(fromBen.status).toBe(200);
    expect(((await fromBen.json()) as ConversationBody).id).toBe(convo.id);
  });

  it("makes one 1:1 when both people start it at the same moment", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? create(ana, [ben.username]) : create(ben, [ana.username]))),
    );
    const ids = new Set(await Promise.all(results.map(async (r) => ((await r.json()) as ConversationBody).id)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(await conversationCount(ana.id)).toBe(1);
  });

  it("creates a group with a title, and a second group with the same people is a new one", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const res = await create(ana, [ben.username, cy.username, ben.username, ana.username], { title: "Trip" });
    expect(res.status).toBe(201);
    const group = (await res.json()) as ConversationBody;
    expect(group).toMatchObject({ kind: "group", title: "Trip" });
    expect(group.members).toHaveLength(3);
    const second = await create(ana, [ben.username, cy.username]);
    expect(second.status).toBe(201);
    expect(((await second.json()) as ConversationBody).id).not.toBe(group.id);
  });

  it("takes up to 32 people in a group, the creator included, and refuses 33 with 422", async () => {
    const ana = await createUser();
    const others = await Promise.all(Array.from({ length: 32 }, () => createUser()));
    await expectProblem(
      await create(
        ana,
        others.map((u) => u.username),
      ),
      422,
      "validation_failed",
    );
    const res = await create(
      ana,
      others.slice(0, 31).map((u) => u.username),
    );
    expect(res.status).toBe(201);
    expect(((await res.json()) as ConversationBody).members).toHaveLength(32);
  });

  it("answers 422 for nobody but yourself, an empty list, a title on a 1:1 or an unknown field", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await expectProblem(await create(ana, [ana.username]), 422, "validation_failed");
    await expectProblem(await create(ana, []), 422, "validation_failed");
    await expectProblem(await create(ana, [ben.username], { title: "Us" }), 422, "validation_failed");
    await expectProblem(await create(ana, [ben.username], { kind: "group" }), 422, "validation_failed");
    await expectProblem(await create(ana, [ben.username], { title: " " }), 422, "validation_failed");
    expect(await conversationCount(ana.id)).toBe(0);
  });

  it("answers the same 404 for an unknown name and for someone across a block, creating nothing", async () => {
    const [ana, ben, cy, dee] = [await createUser(), await createUser(), await createUser(), await createUser()];
    expect((await api("POST", `/v1/users/${ben.username}/block`, { token: ana.accessToken })).status).toBe(200);
    expect((await api("POST", `/v1/users/${ana.username}/block`, { token: cy.accessToken })).status).toBe(200);
    const unknown = await expectProblem(await create(ana, ["nobody_here_at_all"]), 404, "not_found");
    await expectProblem(await create(ana, [ben.username]), 404, "not_found");
    await expectProblem(await create(ana, [cy.username]), 404, "not_found");
    await expectProblem(await create(ana, [dee.username, ben.username]), 404, "not_found");
    await expectProblem(await create(ben, [ana.username]), 404, "not_found");
    expect(unknown.detail).toMatch(/No such user/);
    expect(await conversationCount(ana.id)).toBe(0);
    expect(await conversationCount(dee.id)).toBe(0);
  });

  it(
    "answers 429 with retry-after on the 21st new conversation in a minute; opening an existing 1:1 is not counted",
    WAITS_FOR_A_WINDOW,
    async () => {
      await startInOneWindow(60, 15_000);
      const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
      expect((await create(ana, [ben.username])).status).toBe(201);
      const statuses: number[] = [];
      for (let i = 0; i < 19; i++) statuses.push((await create(ana, [ben.username, cy.username])).status);
      expect(statuses.every((s) => s === 201)).toBe(true);
      const limited = await create(ana, [ben.username, cy.username]);
      await expectProblem(limited, 429, "rate_limited");
      expect(limited.headers.get("retry-after")).toBe("60");
      // The existing 1:1 still opens, and nothing more was created.
      expect((await create(ana, [ben.username])).status).toBe(200);
      expect(await conversationCount(ana.id)).toBe(20);
      // Others start their own.
      expect((await create(ben, [cy.username])).status).toBe(201);
    },
  );
});

describe("message requests", () => {
  it("puts a 1:1 from someone the recipient does not follow in their requests until accepted", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await sendHttp(ana, convo.id, "hello stranger", "r1");
    await flushInbox(convo.id);

    expect((await inbox(ana)).map((c) => c.id)).toEqual([convo.id]);
    expect(await inbox(ben)).toEqual([]);
    const [request] = await inbox(ben, "requests");
    expect(request).toMatchObject({ id: convo.id, folder: "requests", unread_count: 1 });
    expect(request?.last_message).toMatchObject({ body: "hello stranger", sender: ana.id });

    const accepted = await api("POST", `/v1/conversations/${convo.id}/accept`, { token: ben.accessToken });
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as ConversationBody).folder).toBe("inbox");
    expect((await inbox(ben)).map((c) => c.id)).toEqual([convo.id]);
    expect(await inbox(ben, "requests")).toEqual([]);
  });

  it("puts it straight in the inbox of someone who follows the sender", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    await follow(ben, ana);
    const convo = await startConversation(ana, [ben]);
    expect(convo.folder).toBe("inbox");
    expect((await inbox(ben)).map((c) => c.id)).toEqual([convo.id]);
  });

  it("lets the recipient read and answer a request before accepting it", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await sendHttp(ana, convo.id, "hi", "q1");
    expect((await history(ben, convo.id)).map((m) => m.body)).toEqual(["hi"]);
    expect((await sendHttp(ben, convo.id, "who is this?", "q2")).status).toBe(201);
  });

  it("answers 404 when a non-member tries to accept", async () => {
    const [ana, ben, eve] = [await createUser(), await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await expectProblem(
      await api("POST", `/v1/conversations/${convo.id}/accept`, { token: eve.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("the conversation list", () => {
  it("orders by last activity, with the last message and an unread count that reading clears", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    await follow(ana, ben);
    await follow(ana, cy);
    const withBen = await startConversation(ben, [ana]);
    const withCy = await startConversation(cy, [ana]);
    await sendHttp(ben, withBen.id, "b1", "b1");
    await sendHttp(cy, withCy.id, "c1", "c1");
    await sendHttp(ben, withBen.id, "b2", "b2");
    await flushInbox(withBen.id);
    await flushInbox(withCy.id);

    const list = await inbox(ana);
    expect(list.map((c) => c.id)).toEqual([withBen.id, withCy.id]);
    expect(list[0]).toMatchObject({ unread_count: 2, last_message: { body: "b2", sender: ben.id } });
    expect(list[1]).toMatchObject({ unread_count: 1, last_message: { body: "c1" } });
    // The sender has read their own messages.
    expect((await inbox(ben))[0]?.unread_count).toBe(0);

    // Ben's socket hears Ana's read receipt once the room has stored her position.
    const bens = await joinRoom(ben, withBen.id);
    const socket = await joinRoom(ana, withBen.id);
    const last = (await history(ana, withBen.id))[0];
    socket.send({ type: "read", message_id: last?.id });
    await bens.until((frames) => frames.some((f) => f.type === "read"), "Ana's read receipt", 15_000);
    await flushInbox(withBen.id);
    expect((await inbox(ana)).find((c) => c.id === withBen.id)?.unread_count).toBe(0);

    // Over HTTP too, for clients without a socket; an unknown message id is 404.
    await sendHttp(ben, withBen.id, "b3", "b3");
    const newest = (await history(ana, withBen.id))[0];
    const read = await api("POST", `/v1/conversations/${withBen.id}/read`, {
      token: ana.accessToken,
      body: { message_id: newest?.id },
    });
    expect(read.status).toBe(204);
    await expectProblem(
      await api("POST", `/v1/conversations/${withBen.id}/read`, {
        token: ana.accessToken,
        body: { message_id: "01NOPE" },
      }),
      404,
      "not_found",
    );
    await flushInbox(withBen.id);
    expect((await inbox(ana)).find((c) => c.id === withBen.id)?.unread_count).toBe(0);

    // New activity in the older conversation moves it to the top.
    await sendHttp(cy, withCy.id, "c2", "c2");
    await flushInbox(withCy.id);
    expect((await inbox(ana)).map((c) => c.id)).toEqual([withCy.id, withBen.id]);
    socket.close();
  });

  it("pages with a cursor and refuses a forged one", async () => {
    const ana = await createUser();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await startConversation(ana, [await createUser()])).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const res = await api("GET", `/v1/conversations?limit=2${query}`, { token: ana.accessToken });
      const body = (await res.json()) as { items: ConversationBody[]; next_cursor: string | null };
      seen.push(...body.items.map((c) => c.id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await expectProblem(
      await api("GET", "/v1/conversations?cursor=abc.def", { token: ana.accessToken }),
      400,
      "invalid_cursor",
    );
    await expectProblem(
      await api("GET", "/v1/conversations?folder=spam", { token: ana.accessToken }),
      422,
      "validation_failed",
    );
  });
});

describe("leaving and blocking", () => {
  it("leaving a group closes the leaver's socket and stops delivery; the others carry on", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const group = await startConversation(ana, [ben, cy]);
    const direct = await startConversation(ana, [ben]);
    const benRoom = await joinRoom(ben, group.id);
    const benHub = await joinHub(ben);
    const cyRoom = await joinRoom(cy, group.id);

    const left = await api("POST", `/v1/conversations/${group.id}/leave`, { token: ben.accessToken });
    expect(left.status).toBe(204);
    expect((await benRoom.waitClosed()).code).toBe(4003);

    await sendHttp(ana, group.id, "after ben left", "g1");
    await cyRoom.until((f) => f.some((x) => x.type === "message"), "cy still receives");
    // A later message in another conversation reaches Ben's hub; the group's never does.
    await sendHttp(ana, direct.id, "just us", "d1");
    await benHub.until((f) => f.some((x) => x.type === "message"), "the 1:1 event");
    expect(benHub.of("message").map((f) => f.conversation_id)).toEqual([direct.id]);

    await expectProblem(
      await api("GET", `/v1/conversations/${group.id}/messages`, { token: ben.accessToken }),
      404,
      "not_found",
    );
    await expectProblem(await sendHttp(ben, group.id, "let me back"), 404, "not_found");
    await expectProblem(
      await api("POST", "/v1/realtime/tickets", {
        token: ben.accessToken,
        body: { scope: `conversation:${group.id}` },
      }),
      404,
      "not_found",
    );
    expect((await inbox(ben)).map((c) => c.id)).not.toContain(group.id);
    await expectProblem(
      await api("POST", `/v1/conversations/${direct.id}/leave`, { token: ben.accessToken }),
      409,
      "conflict",
    );
    cyRoom.close();
    benHub.close();
  });

  it("a block closes the 1:1 at once, sockets included; unblocking opens it again with its history", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await sendHttp(ana, convo.id, "before", "k1");
    const a = await joinRoom(ana, convo.id);
    const b = await joinRoom(ben, convo.id);
    const spareTicket = await ticketFor(ben, `conversation:${convo.id}`);

    expect((await api("POST", `/v1/users/${ana.username}/block`, { token: ben.accessToken })).status).toBe(200);
    expect((await a.waitClosed()).code).toBe(4003);
    expect((await b.waitClosed()).code).toBe(4003);

    for (const user of [ana, ben]) {
      await expectProblem(await sendHttp(user, convo.id, "are you there?"), 404, "not_found");
      await expectProblem(
        await api("GET", `/v1/conversations/${convo.id}/messages`, { token: user.accessToken }),
        404,
        "not_found",
      );
      expect(await inbox(user)).toEqual([]);
      expect(await inbox(user, "requests")).toEqual([]);
    }
    await expectProblem(await upgrade(`/v1/conversations/${convo.id}/ws?ticket=${spareTicket}`), 404, "not_found");
    await expectProblem(await create(ana, [ben.username]), 404, "not_found");

    expect((await api("DELETE", `/v1/users/${ana.username}/block`, { token: ben.accessToken })).status).toBe(200);
    expect((await sendHttp(ana, convo.id, "after", "k2")).status).toBe(201);
    expect((await history(ben, convo.id)).map((m) => m.body)).toEqual(["after", "before"]);
  });

  it("a block between two group members does not close the group", async () => {
    const [ana, ben, cy] = [await createUser(), await createUser(), await createUser()];
    const group = await startConversation(ana, [ben, cy]);
    expect((await api("POST", `/v1/users/${cy.username}/block`, { token: ben.accessToken })).status).toBe(200);
    expect((await sendHttp(ben, group.id, "still here", "gb1")).status).toBe(201);
    expect((await history(cy, group.id)).map((m) => m.body)).toEqual(["still here"]);
  });
});
