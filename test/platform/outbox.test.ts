import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { outbox } from "../../src/db/schema";
import { completeUpload } from "../../src/features/media/media.service";
import { createPost, deletePost } from "../../src/features/posts/posts.service";
import { platformFor } from "../../src/platform";
import { inList } from "../../src/platform/db";
import type { Job, JobQueue } from "../../src/platform/jobs";
import { outboxFor } from "../../src/platform/outbox";
import { createUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { fixture, put, startUpload, waitReady } from "../helpers/media";
import { readyMedia } from "../helpers/posts";

const platform = platformFor(env, "http://localhost");
const { db, clock } = platform;

/** A queue that records what it was sent, or refuses every send like an overloaded queue. */
function recordingQueue(refuse = false): JobQueue & { sent: Job[] } {
  const sent: Job[] = [];
  const take = async (jobs: Job[]) => {
    if (refuse) throw new Error("Queue send failed: Too Many Requests");
    await new Promise((r) => setTimeout(r, 5)); // a real send yields; let a racing sender run
    sent.push(...jobs);
  };
  return { sent, send: (job) => take([job]), sendAll: take };
}

const unsentOf = async (ids: string[]) =>
  (
    await db.all<{ id: string }>(
      sql`SELECT ${outbox.id} FROM ${outbox} WHERE ${outbox.id} IN ${inList(ids)} AND ${outbox.sent_at} IS NULL`,
    )
  ).map((r) => r.id);

const purge = (id: string): Job => ({ type: "post.purge", post_id: id });

describe("the outbox", () => {
  it("keeps a job whose send fails after its write, and the sender delivers it later", async () => {
    const refusing = recordingQueue(true);
    const staged = outboxFor(db, refusing, clock).stage([purge("P-outbox-1")]);
    await db.batch([staged.statement]);
    await outboxFor(db, refusing, clock).deliver(staged.ids);
    expect(await unsentOf(staged.ids)).toEqual(staged.ids);

    const working = recordingQueue();
    const box = outboxFor(db, working, clock);
    await box.flush();
    expect(working.sent).toContainEqual(purge("P-outbox-1"));
    expect(await unsentOf(staged.ids)).toEqual([]);
  });

  it("delivers each job once when two senders run at the same time, and again never", async () => {
    const queue = recordingQueue();
    const box = outboxFor(db, queue, clock);
    const jobs = [purge("P-race-1"), purge("P-race-2"), purge("P-race-3")];
    const staged = box.stage(jobs);
    await db.batch([staged.statement]);
    await Promise.all([box.flush(), box.flush(), box.deliver(staged.ids)]);
    await box.flush();
    const mine = queue.sent.filter((j) => j.type === "post.purge" && j.post_id.startsWith("P-race-"));
    expect(mine.toSorted((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(jobs);
  });

  it("stores nothing when its condition fails, and nothing when the batch fails", async () => {
    const box = outboxFor(db, recordingQueue(), clock);
    const guarded = box.stage([purge("P-guard")], sql`1 = 0`);
    await db.batch([guarded.statement]);
    const failed = box.stage([purge("P-rolled-back")]);
    // The second statement breaks the batch: the job row goes with it (all or nothing).
    await expect(db.batch([failed.statement, db.run(sql`INSERT INTO ${outbox} (id) VALUES (NULL)`)])).rejects.toThrow();
    const rows = await db
      .select()
      .from(outbox)
      .where(eq(outbox.id, guarded.ids[0] ?? ""));
    expect(rows).toEqual([]);
    expect(
      await db
        .select()
        .from(outbox)
        .where(eq(outbox.id, failed.ids[0] ?? "")),
    ).toEqual([]);
  });

  it("processes an upload whose job could not be queued at complete time, once the sender runs", async () => {
    const user = await createUser();
    const bytes = fixture("png");
    const ticket = await startUpload(user, "image/png", bytes.length);
    expect((await put(ticket.upload_url, bytes, ticket.upload_headers)).status).toBe(204);
    const refusing = recordingQueue(true);
    const media = await completeUpload(
      { ...platform, outbox: outboxFor(db, refusing, clock) },
      user.id,
      ticket.media_id,
    );
    expect(media.status).toBe("processing");
    // Nothing reached the queue; the sender (the minute cron) sends the stored job.
    expect(refusing.sent).toEqual([]);
    await platform.outbox.flush();
    expect((await waitReady(user, ticket.media_id)).status).toBe("ready");
  });

  it("fans a post out to followers even when the queue refused the send after the post was stored", async () => {
    const [author, reader] = [await createUser(), await createUser()];
    await follow(reader, author);
    const refusing = recordingQueue(true);
    const { post } = await createPost(
      { ...platform, outbox: outboxFor(db, refusing, clock) },
      author.id,
      { media_ids: [await readyMedia(author)] },
      undefined,
    );
    const inReaderTimeline = async () =>
      (await platform.timelines.page(reader.id, null, 10)).includes(post.id) ? 1 : 0;
    expect(refusing.sent).toEqual([]);
    expect(await inReaderTimeline()).toBe(0);
    await platform.outbox.flush();
    await expect.poll(inReaderTimeline, { timeout: 15_000, interval: 100 }).toBe(1);
  });

  it("purges a deleted post whose clean-up job could not be queued at delete time", async () => {
    const author = await createUser();
    const { post } = await createPost(platform, author.id, { media_ids: [await readyMedia(author)] }, undefined);
    await deletePost({ ...platform, outbox: outboxFor(db, recordingQueue(true), clock) }, author.id, post.id);
    const rowCount = async () =>
      (await db.all<{ n: number }>(sql`SELECT COUNT(*) AS n FROM posts WHERE id = ${post.id}`))[0]?.n ?? -1;
    expect(await rowCount()).toBe(1); // hidden (deleted_at set), children not yet purged
    await platform.outbox.flush();
    await expect.poll(rowCount, { timeout: 15_000, interval: 100 }).toBe(0);
  });
});
