import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ChatRoom } from "../../src/durable-objects/chat-room/chat-room";
import { ConfigError } from "../../src/platform/config";
import { history, roomStub, sendHttp, startConversation } from "../helpers/chat";
import { createUser } from "../helpers/factories";

const storyIdColumns = (sql: SqlStorage) =>
  sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pragma_table_info('messages') WHERE name = 'story_id'").one().n;

describe("a room created before story replies", () => {
  it("gets the story_id column when it wakes, keeps its messages, and upgrades only once", async () => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    expect((await sendHttp(ana, convo.id, "from before", "old-1")).status).toBe(201);
    const stub = roomStub(convo.id);
    // Put the room's table back in the layout rooms had before story replies: no story_id.
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("ALTER TABLE messages DROP COLUMN story_id");
      expect(storyIdColumns(state.storage.sql)).toBe(0);
    });

    await evictDurableObject(stub);
    const reply = await stub.post(convo.id, ben.id, { body: "nice story", clientId: "reply-1", storyId: "01STORY" });
    expect(reply).toMatchObject({ ok: true, message: { body: "nice story", story_id: "01STORY" } });

    // Waking again finds the column there and changes nothing.
    await evictDurableObject(stub);
    expect((await sendHttp(ana, convo.id, "after", "old-2")).status).toBe(201);
    expect(await runInDurableObject(stub, (_, state) => storyIdColumns(state.storage.sql))).toBe(1);
    expect((await history(ana, convo.id)).map((m) => m.body)).toEqual(["after", "nice story", "from before"]);
  });
});

describe("a room with an invalid chat setting", () => {
  it.each([
    ["a frame burst that is not a number", { CHAT_FRAME_BURST: "abc" }],
    ["no frame rate", { CHAT_FRAMES_PER_SECOND: "" }],
    ["a zero inbox flush delay", { CHAT_INBOX_FLUSH_MS: "0" }],
  ])("fails closed with %s: the room throws a ConfigError as it starts", async (_label, override) => {
    const [ana, ben] = [await createUser(), await createUser()];
    const convo = await startConversation(ana, [ben]);
    await runInDurableObject(roomStub(convo.id), (_, state) => {
      expect(() => new ChatRoom(state, { ...env, ...override })).toThrow(ConfigError);
    });
  });
});
