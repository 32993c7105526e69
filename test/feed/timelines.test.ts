import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TimelinePartition } from "../../src/durable-objects/timeline-partition";
import { newId } from "../../src/platform/ids";
import { fnv1a, TRIM_EVERY, timelinesFor } from "../../src/platform/timelines";

let sequence = 0;
/**
 * A post id, later than every one made before (newId() is only ordered across milliseconds), whose
 * hash does, or does not, fall in the trim sample.
 */
function postId(sampled: boolean): string {
  for (;;) {
    const id = `01Z${String(++sequence).padStart(23, "0")}`;
    if ((fnv1a(id) % TRIM_EVERY === 0) === sampled) return id;
  }
}

/** Rows each partition object holds, read inside the objects themselves. */
async function rowsPerPartition(partitions: number): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < partitions; i++) {
    const stub = env.TIMELINES.get(env.TIMELINES.idFromName(`${partitions}/${i}`));
    counts.push(
      await runInDurableObject(stub, (_: TimelinePartition, state) =>
        Number(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timeline").one().n),
      ),
    );
  }
  return counts;
}

describe("timelines in partition objects", () => {
  it("spreads readers over every partition, one call per partition, and counts each row once", async () => {
    const timelines = timelinesFor(env.TIMELINES, { partitions: 4, cap: 800 });
    const readers = Array.from({ length: 400 }, () => newId());
    const post = { postId: postId(false), authorId: newId() };
    expect(await timelines.push(post, readers)).toBe(400);
    const spread = await rowsPerPartition(4);
    expect(spread.reduce((a, b) => a + b, 0)).toBe(400);
    // FNV-1a spreads ids evenly enough that no partition is empty or holds most of them.
    for (const n of spread) expect(n).toBeGreaterThan(50);
    // A redelivered push adds nothing; the count goes over every partition.
    expect(await timelines.push(post, readers)).toBe(0);
    expect(await timelines.countPost(post.postId)).toBe(400);
    for (const reader of readers.slice(0, 5)) expect(await timelines.page(reader, null, 10)).toEqual([post.postId]);
  });

  it("pages newest first by keyset, stable while newer posts arrive", async () => {
    const timelines = timelinesFor(env.TIMELINES, { partitions: 2, cap: 800 });
    const reader = newId();
    const author = newId();
    const ids = Array.from({ length: 7 }, () => postId(false));
    for (const id of ids) await timelines.push({ postId: id, authorId: author }, [reader]);
    const first = await timelines.page(reader, null, 3);
    expect(first).toEqual(ids.slice(-3).reverse());
    await timelines.push({ postId: postId(false), authorId: author }, [reader]);
    expect(await timelines.page(reader, first[2] ?? null, 10)).toEqual(ids.slice(0, 4).reverse());
  });

  it("cuts readers back to the cap on sampled posts only, and always on a backfill", async () => {
    const timelines = timelinesFor(env.TIMELINES, { partitions: 2, cap: 3 });
    const [reader, author] = [newId(), newId()];
    const unsampled = Array.from({ length: 5 }, () => postId(false));
    for (const id of unsampled) await timelines.push({ postId: id, authorId: author }, [reader]);
    expect(await timelines.page(reader, null, 10)).toHaveLength(5);
    const sampled = postId(true);
    await timelines.push({ postId: sampled, authorId: author }, [reader]);
    expect(await timelines.page(reader, null, 10)).toEqual([sampled, ...unsampled.slice(-2).reverse()]);

    const other = newId();
    await timelines.add(
      other,
      unsampled.map((id) => ({ postId: id, authorId: author })),
    );
    expect(await timelines.page(other, null, 10)).toEqual(unsampled.slice(-3).reverse());
  });

  it("unlinks an author from one reader, drops a reader, and removes a post from every partition", async () => {
    const timelines = timelinesFor(env.TIMELINES, { partitions: 4, cap: 800 });
    const [a, b] = [newId(), newId()];
    const readers = Array.from({ length: 20 }, () => newId());
    const fromA = postId(false);
    const fromB = postId(false);
    await timelines.push({ postId: fromA, authorId: a }, readers);
    await timelines.push({ postId: fromB, authorId: b }, readers);
    const [first, second] = readers as [string, string];
    await timelines.unlink(first, a);
    expect(await timelines.page(first, null, 10)).toEqual([fromB]);
    expect(await timelines.page(second, null, 10)).toEqual([fromB, fromA]);
    await timelines.drop(second);
    expect(await timelines.holds(second)).toBe(false);
    expect(await timelines.holds(first)).toBe(true);
    await timelines.removePost(fromB);
    expect(await timelines.countPost(fromB)).toBe(0);
    expect(await timelines.countPost(fromA)).toBe(18);
  });

  it("starts on new, empty objects when the partition count changes (no mixed layouts)", async () => {
    const reader = newId();
    const post = { postId: postId(false), authorId: newId() };
    await timelinesFor(env.TIMELINES, { partitions: 3, cap: 800 }).push(post, [reader]);
    expect(await timelinesFor(env.TIMELINES, { partitions: 5, cap: 800 }).page(reader, null, 10)).toEqual([]);
    expect(await timelinesFor(env.TIMELINES, { partitions: 3, cap: 800 }).page(reader, null, 10)).toEqual([
      post.postId,
    ]);
  });
});
