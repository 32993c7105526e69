import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { history, roomStub, sendHttp, startConversation } from "../helpers/chat";
import { createUser } from "../helpers/factories";

/** What the room holds, read from its own SQLite. */
const roomRows = (conversationId: string) =>
  runInDurableObject(roomStub(conversationId), (_, state) => {
    const sql = state.storage.sql;
    const tables = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name),
    );
    return {
      messages: tables.has("messages") ? sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages").one().n : 0,
      members: tables.has("members")
        ? sql
            .exec<{ user_id: string }>("SELECT user_id FROM members ORDER BY user_id")
            .toArray()
            .map((r) => r.user_id)
        : [],
      conversation: tables.has("room")
        ? (sql.exec<{ value: string }>("SELECT value FROM room WHERE key = 'conversation_id'").toArray()[0]?.value ??
          null)
        : null,
    };
  });

describe("a chat room called directly, past the Worker's checks (docs/security.md A6)", () => {
  it("refuses a non-member's post, history, read, removal and socket itself, and stores nothing", async () => {
    const [ana, ben, eve] = [await createUser(), await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    expect((await sendHttp(ana, convo.id, "hello ben", "first")).status).toBe(201);
    const [first] = await history(ana, convo.id);
    const stub = roomStub(convo.id);

    expect(await stub.post(convo.id, eve.id, { body: "let me in", clientId: "eve-1" })).toEqual({
      ok: false,
      code: "not_member",
    });
    expect(await stub.history(convo.id, eve.id, { beforeSeq: null, limit: 50 })).toEqual({
      ok: false,
      code: "not_member",
    });
    expect(await stub.markRead(convo.id, eve.id, first?.id ?? "")).toEqual({ ok: false });
    await stub.removeMember(convo.id, eve.id);
    const socket = await stub.fetch("https://chat-room/ws", {
      headers: { upgrade: "websocket", "x-edgegram-user": eve.id, "x-edgegram-conversation": convo.id },
    });
    expect(socket.status).toBe(404);
    expect(socket.webSocket).toBeNull();

    expect(await roomRows(convo.id)).toEqual({
      messages: 1,
      members: [ana.id, ben.id].sort(),
      conversation: convo.id,
    });
    expect((await history(ben, convo.id)).map((m) => m.body)).toEqual(["hello ben"]);
  });

  it("refuses on a room's first use too: it loads the members from D1 and finds the caller missing", async () => {
    const [ana, ben, eve] = [await createUser(), await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    const before = (await listDurableObjectIds(env.CHAT_ROOM)).length;
    expect(await roomStub(convo.id).post(convo.id, eve.id, { body: "first!", clientId: "eve-1" })).toEqual({
      ok: false,
      code: "not_member",
    });
    expect((await listDurableObjectIds(env.CHAT_ROOM)).length).toBe(before + 1);
    expect(await roomRows(convo.id)).toMatchObject({ messages: 0, members: [ana.id, ben.id].sort() });
    expect(await history(ana, convo.id)).toEqual([]);
  });

  it("refuses a member who has left from the moment the Worker tells it, and a closed 1:1's posts", async () => {
    const [ana, ben, cat] = [await createUser(), await createUser(), await createUser()];
    const group = await startConversation(ana, [ben, cat]);
    expect((await sendHttp(cat, group.id, "bye", "cat-1")).status).toBe(201);
    const left = await api("POST", `/v1/conversations/${group.id}/leave`, { token: cat.accessToken });
    expect(left.status).toBe(204);
    expect(await roomStub(group.id).post(group.id, cat.id, { body: "one more", clientId: "cat-2" })).toEqual({
      ok: false,
      code: "not_member",
    });

    const direct = await startConversation(ana, [ben]);
    await roomStub(direct.id).setClosed(direct.id, true);
    expect(await roomStub(direct.id).post(direct.id, ana.id, { body: "closed?", clientId: "ana-1" })).toEqual({
      ok: false,
      code: "closed",
    });
    expect((await roomRows(group.id)).messages).toBe(1);
    expect((await roomRows(direct.id)).messages).toBe(0);
  });

  it("refuses a call naming another conversation than its own, even from a member of that one", async () => {
    const [ana, ben, eve, zed] = [await createUser(), await createUser(), await createUser(), await createUser()];
    const ours = await startConversation(ana, [ben]);
    const theirs = await startConversation(eve, [zed]);
    const stub = roomStub(ours.id);

    // Eve is a member of her own conversation, but this room is Ana and Ben's, not yet used.
    expect(await stub.post(theirs.id, eve.id, { body: "wrong room", clientId: "eve-1" })).toEqual({
      ok: false,
      code: "not_found",
    });
    expect(await stub.history(theirs.id, eve.id, { beforeSeq: null, limit: 50 })).toEqual({
      ok: false,
      code: "not_found",
    });
    await stub.setClosed(theirs.id, true);
    expect(await roomRows(ours.id)).toEqual({ messages: 0, members: [], conversation: null });

    // The room still becomes Ana and Ben's, open, on its first real use.
    expect((await sendHttp(ben, ours.id, "hi ana", "ben-1")).status).toBe(201);
    expect(await roomRows(ours.id)).toEqual({ messages: 1, members: [ana.id, ben.id].sort(), conversation: ours.id });
    expect((await history(eve, theirs.id)).length).toBe(0);
  });
});
