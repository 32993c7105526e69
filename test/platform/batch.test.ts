import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { highlights } from "../../src/db/schema";
import { cachedAll, columnNames, dbFor } from "../../src/platform/db";

const h = highlights;

describe("db.batch", () => {
  it("binds raw sql items beside builder items and maps each result as drizzle does", async () => {
    const db = dbFor(env.DB);
    const row = { id: "batch-h1", owner_id: "batch-owner", title: "t", created_at: "2026-01-01T00:00:00.000Z" };
    const [inserted, missed, all, one, none, built] = await db.batch([
      db.run(
        sql`INSERT INTO ${h} (${columnNames(h.id, h.owner_id, h.title, h.created_at)})
            VALUES (${row.id}, ${row.owner_id}, ${row.title}, ${row.created_at})`,
      ),
      db.run(sql`UPDATE ${h} SET ${columnNames(h.title)} = 'x' WHERE ${h.id} = ${"none"}`),
      db.all<{ id: string; owner: string }>(
        sql`SELECT ${h.id} AS id, ${h.owner_id} AS owner FROM ${h} WHERE ${h.owner_id} = ${row.owner_id}`,
      ),
      db.get<{ title: string } | undefined>(sql`SELECT ${h.title} AS title FROM ${h} WHERE ${h.id} = ${row.id}`),
      db.get<{ title: string } | undefined>(sql`SELECT ${h.title} AS title FROM ${h} WHERE ${h.id} = ${"none"}`),
      db.select({ id: h.id }).from(h).where(eq(h.id, row.id)),
    ]);
    expect(inserted.meta.changes).toBe(1);
    expect(missed.meta.changes).toBe(0);
    expect(all).toEqual([{ id: row.id, owner: row.owner_id }]);
    expect(one).toEqual({ title: "t" });
    expect(none).toBeUndefined();
    expect(built).toEqual([{ id: row.id }]);
  });

  it("is atomic: a failing item undoes the items before it", async () => {
    const db = dbFor(env.DB);
    const row = { id: "batch-h2", owner_id: "batch-owner-2", title: "t", created_at: "2026-01-01T00:00:00.000Z" };
    await expect(
      db.batch([db.insert(h).values(row), db.run(sql`INSERT INTO ${h} (${columnNames(h.id)}) VALUES (${row.id})`)]),
    ).rejects.toThrow();
    expect(await db.select().from(h).where(eq(h.id, row.id))).toEqual([]);
  });
});

describe("cachedAll", () => {
  it("renders a statement once and binds each call's own values", async () => {
    const db = dbFor(env.DB);
    const rows = ["cache-a", "cache-b", "cache-c"].map((id) => ({
      id,
      owner_id: "cache-owner",
      title: id,
      created_at: "2026-01-01T00:00:00.000Z",
    }));
    await db.insert(h).values(rows);
    let builds = 0;
    const titles = cachedAll<{ title: string }, { owner: string; after: string; limit: number }>(
      ({ owner, after, limit }) => {
        builds++;
        return sql`SELECT ${h.title} AS title FROM ${h} WHERE ${h.owner_id} = ${owner} AND ${h.id} > ${after}
                   ORDER BY ${h.id} LIMIT ${limit}`;
      },
      ["owner", "after", "limit"],
    );
    expect(await titles(db, { owner: "cache-owner", after: "", limit: 2 })).toEqual([
      { title: "cache-a" },
      { title: "cache-b" },
    ]);
    expect(await titles(db, { owner: "cache-owner", after: "cache-a", limit: 5 })).toEqual([
      { title: "cache-b" },
      { title: "cache-c" },
    ]);
    expect(await titles(db, { owner: "nobody", after: "", limit: 5 })).toEqual([]);
    expect(builds).toBe(1);
  });
});
