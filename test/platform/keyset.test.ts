import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { legacyIdAfter, legacyIdBefore } from "../../src/platform/db";

/** SQLite's plan for a statement, one detail line per step. */
async function plan(sql: string, ...params: unknown[]): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join(" | ");
}

describe("keyset bounds", () => {
  const likesBefore = `SELECT id FROM likes WHERE post_id = ?1 AND ${legacyIdBefore("id", "?2")} ORDER BY id DESC LIMIT 21`;
  const likesAfter = `SELECT id FROM likes WHERE post_id = ?1 AND ${legacyIdAfter("id", "?2")} ORDER BY id LIMIT 21`;

  it("seek the index at the cursor instead of walking the list from its start", async () => {
    expect(await plan(likesBefore, "P", "01ARZ3NDEKTSV4RRFFQ69G5FAV")).toMatch(/post_id=\? AND id<\?/);
    expect(await plan(likesAfter, "P", "01ARZ3NDEKTSV4RRFFQ69G5FAV")).toMatch(/post_id=\? AND id>\?/);
    // The form they replace could not bound the range.
    expect(
      await plan(
        "SELECT id FROM likes WHERE post_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT 21",
        "P",
        "X",
      ),
    ).not.toMatch(/id<\?/);
  });

  it("bound nothing on the first page and exclude the cursor's own row after it", async () => {
    const ids = ["01J00000000000000000000000", "01J00000000000000000000001", "01J00000000000000000000002"];
    const [a, b, c] = ids;
    await env.DB.prepare(
      `INSERT INTO likes (post_id, user_id, id, created_at)
       SELECT 'keyset-post', 'user-' || value, value, '2026-01-01T00:00:00.000Z' FROM json_each(?1)`,
    )
      .bind(JSON.stringify(ids))
      .run();
    const read = async (sql: string, cursor: string | null) =>
      (await env.DB.prepare(sql).bind("keyset-post", cursor).all<{ id: string }>()).results.map((r) => r.id);
    expect(await read(likesBefore, null)).toEqual([c, b, a]);
    expect(await read(likesBefore, c ?? "")).toEqual([b, a]);
    expect(await read(likesAfter, null)).toEqual([a, b, c]);
    expect(await read(likesAfter, a ?? "")).toEqual([b, c]);
  });
});
