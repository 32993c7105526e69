import { env } from "cloudflare:workers";
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { likes } from "../../src/db/schema";
import { dbFor, idAfter, idBefore } from "../../src/platform/db";

const db = dbFor(env.DB);

/** SQLite's plan for a statement, one detail line per step. */
async function plan(query: SQL): Promise<string> {
  const rows = await db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
  return rows.map((r) => r.detail).join(" | ");
}

const likesBefore = (post: string, cursor: string | null) =>
  sql`SELECT ${likes.id} FROM ${likes} WHERE ${likes.post_id} = ${post} AND ${idBefore(likes.id, cursor)} ORDER BY ${likes.id} DESC LIMIT 21`;
const likesAfter = (post: string, cursor: string | null) =>
  sql`SELECT ${likes.id} FROM ${likes} WHERE ${likes.post_id} = ${post} AND ${idAfter(likes.id, cursor)} ORDER BY ${likes.id} LIMIT 21`;

describe("keyset bounds", () => {
  it("seek the index at the cursor instead of walking the list from its start", async () => {
    expect(await plan(likesBefore("P", "01ARZ3NDEKTSV4RRFFQ69G5FAV"))).toMatch(/post_id=\? AND id<\?/);
    expect(await plan(likesAfter("P", "01ARZ3NDEKTSV4RRFFQ69G5FAV"))).toMatch(/post_id=\? AND id>\?/);
    // The form they replace could not bound the range.
    const cursor = "X";
    expect(
      await plan(
        sql`SELECT ${likes.id} FROM ${likes} WHERE ${likes.post_id} = ${"P"} AND (${cursor} IS NULL OR ${likes.id} < ${cursor}) ORDER BY ${likes.id} DESC LIMIT 21`,
      ),
    ).not.toMatch(/id<\?/);
  });

  it("bound nothing on the first page and exclude the cursor's own row after it", async () => {
    const ids = ["01J00000000000000000000000", "01J00000000000000000000001", "01J00000000000000000000002"];
    const [a, b, c] = ids;
    await db.insert(likes).values(
      ids.map((id) => ({
        post_id: "keyset-post",
        user_id: `user-${id}`,
        id,
        created_at: "2026-01-01T00:00:00.000Z",
      })),
    );
    const read = async (query: SQL) => (await db.all<{ id: string }>(query)).map((r) => r.id);
    expect(await read(likesBefore("keyset-post", null))).toEqual([c, b, a]);
    expect(await read(likesBefore("keyset-post", c ?? ""))).toEqual([b, a]);
    expect(await read(likesAfter("keyset-post", null))).toEqual([a, b, c]);
    expect(await read(likesAfter("keyset-post", a ?? ""))).toEqual([b, c]);
  });
});
