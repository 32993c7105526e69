import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mutes } from "../../src/db/schema";
import { batchable, dbFor, insertColumns } from "../../src/platform/db";
import { newId } from "../../src/platform/ids";

describe("sql-template queries in a batch", () => {
  const db = dbFor(env.DB);
  const insertMute = (muter: string, muted: string) =>
    db.run(
      sql`INSERT OR IGNORE INTO ${mutes} ${insertColumns(mutes.muter_id, mutes.muted_id, mutes.id, mutes.created_at)}
          VALUES (${muter}, ${muted}, ${newId()}, ${"2026-01-01T00:00:00.000Z"})`,
    );

  it("cannot be batched by drizzle alone once they bind values", async () => {
    // If this starts passing, drizzle fixed its D1 batch and `batchable` can go.
    await expect(db.batch([insertMute(newId(), newId())])).rejects.toThrow(/bind/);
  });

  it("run in the batch, in order, with their results, through batchable", async () => {
    const [muter, muted] = [newId(), newId()];
    const [first, again, rows] = await db.batch([
      batchable(db, insertMute(muter, muted)),
      batchable(db, insertMute(muter, muted)),
      batchable(
        db,
        db.all<{ muted_id: string }>(sql`SELECT ${mutes.muted_id} FROM ${mutes} WHERE ${mutes.muter_id} = ${muter}`),
      ),
    ]);
    expect(first.meta.changes).toBe(1);
    expect(again.meta.changes).toBe(0);
    expect(rows).toEqual([{ muted_id: muted }]);
    expect(await db.select().from(mutes).where(eq(mutes.muter_id, muter))).toHaveLength(1);
  });
});
