import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { conversationMembers, conversations } from "../../src/db/schema";
import { dbFor } from "../../src/platform/db";
import { blockedInConversationSql, canSeeConversation, conversationVisibleSql } from "../../src/policy";
import { api } from "../helpers/api";
import { startConversation } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";

const block = async (a: TestUser, b: TestUser) =>
  expect((await api("POST", `/v1/users/${b.username}/block`, { token: a.accessToken })).status).toBe(200);

describe("the conversation rule in SQL", () => {
  it("agrees with canSeeConversation for 1:1s and groups, with and without blocks", async () => {
    const me = await createUser();
    const [friend, blocker, blocked, g1, g2, g3] = [
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
      await createUser(),
    ];
    const cases = {
      direct: await startConversation(me, [friend]),
      directBlockedByOther: await startConversation(me, [blocker]),
      directIBlocked: await startConversation(me, [blocked]),
      group: await startConversation(me, [g1, g2]),
      groupWithABlock: await startConversation(me, [g3, blocker]),
    };
    await block(blocker, me);
    await block(me, blocked);

    const db = dbFor(env.DB);
    const m = alias(conversationMembers, "m");
    const c = alias(conversations, "c");
    const rows = await db.all<{ id: string; kind: "direct" | "group"; blocked: number; visible: number }>(
      sql`SELECT ${c.id} AS id, ${c.kind} AS kind,
            ${blockedInConversationSql(c.id, m.user_id)} AS blocked,
            ${conversationVisibleSql(c, m.user_id)} AS visible
          FROM ${conversationMembers} ${m} JOIN ${conversations} ${c} ON ${c.id} = ${m.conversation_id}
          WHERE ${m.user_id} = ${me.id}`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const decided = Object.fromEntries(
      Object.entries(cases).map(([name, convo]) => {
        const row = byId.get(convo.id);
        if (!row) throw new Error(`no membership row for ${name}`);
        // The SQL predicate and the rule over the same facts must agree, case by case.
        expect(row.visible === 1, name).toBe(canSeeConversation(row.kind, row.blocked === 1));
        return [name, row.visible === 1];
      }),
    );
    expect(decided).toEqual({
      direct: true,
      directBlockedByOther: false,
      directIBlocked: false,
      group: true,
      groupWithABlock: true,
    });
  });
});
