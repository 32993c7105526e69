import { and, isNotNull, lt, type SQL, sql } from "drizzle-orm";
import { outbox } from "../db/schema";
import type { Clock } from "./clock";
import { columnNames, type Db, inList } from "./db";
import { newId } from "./ids";
import { type Job, type JobQueue, JobSchema } from "./jobs";

/** How long a sender owns the rows it claimed; after that another sender may send them again. */
const CLAIM_SECONDS = 60;
/** Rows one claim takes (a queue batch holds at most 100 messages). */
const CLAIM_SIZE = 100;
/** Claims one sender run makes at most, so a run stays well inside a cron invocation. */
const MAX_CLAIMS_PER_RUN = 20;
/** Sent rows are kept this long for inspection, then deleted. */
const KEEP_SENT_MS = 24 * 3600_000;

/**
 * The one way work is handed to a queue after a write (see src/db/schema/outbox.ts). A service puts
 * `stage(...)`'s statement in the batch that stores its fact, then calls `deliver(ids)`; a failed
 * send is logged and left for `flush()`, which the cron runs every minute.
 */
export interface Outbox {
  /**
   * The insert to put in the same `batch(db, …)` as the write the jobs follow. With `when`, the rows
   * are stored only if that condition holds when the statement runs (after the batch's earlier
   * statements), e.g. "this call's update moved the row".
   */
  stage(jobs: Job[], when?: SQL): Staged;
  /** Sends staged jobs right after their batch committed; never throws (the sender catches up). */
  deliver(ids: string[]): Promise<void>;
  /** The sender: sends every unsent job nobody holds a claim on; answers how many it sent. */
  flush(): Promise<number>;
  /** Deletes rows sent more than a day ago. */
  prune(): Promise<void>;
}

export interface Staged {
  /** For the `db.batch([...])` of the write. */
  statement: ReturnType<Db["run"]>;
  ids: string[];
}

interface Claimed {
  id: string;
  job: string;
}

export function outboxFor(db: Db, jobs: JobQueue, clock: Clock): Outbox {
  const iso = (offsetMs = 0) => new Date(clock.now().getTime() + offsetMs).toISOString();

  /** Claims unsent, unclaimed rows (only `ids` when given) in one conditional UPDATE. */
  const claim = (ids: string[] | null) => {
    const now = iso();
    const which =
      ids === null
        ? sql`SELECT ${outbox.id} FROM ${outbox} WHERE ${outbox.sent_at} IS NULL
                AND (${outbox.claimed_until} IS NULL OR ${outbox.claimed_until} < ${now})
              ORDER BY ${outbox.id} LIMIT ${CLAIM_SIZE}`
        : sql`SELECT ${outbox.id} FROM ${outbox} WHERE ${outbox.id} IN ${inList(ids)} AND ${outbox.sent_at} IS NULL
                AND (${outbox.claimed_until} IS NULL OR ${outbox.claimed_until} < ${now})`;
    return db.all<Claimed>(
      sql`UPDATE ${outbox} SET ${columnNames(outbox.claimed_until)} = ${iso(CLAIM_SECONDS * 1000)},
            ${columnNames(outbox.attempts)} = ${outbox.attempts} + 1
          WHERE ${outbox.id} IN (${which}) RETURNING ${outbox.id}, ${outbox.job}`,
    );
  };

  /** Sends what was claimed and marks it sent; on a failed send, releases the claim at once. */
  const send = async (rows: Claimed[]): Promise<number> => {
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    try {
      await jobs.sendAll(rows.map((r) => JobSchema.parse(JSON.parse(r.job))));
    } catch (err) {
      console.error(JSON.stringify({ level: "error", component: "outbox", msg: "send failed", ids, err: String(err) }));
      await db.run(
        sql`UPDATE ${outbox} SET ${columnNames(outbox.claimed_until)} = NULL WHERE ${outbox.id} IN ${inList(ids)}`,
      );
      return 0;
    }
    await db.run(
      sql`UPDATE ${outbox} SET ${columnNames(outbox.sent_at)} = ${iso()} WHERE ${outbox.id} IN ${inList(ids)}`,
    );
    return rows.length;
  };

  return {
    stage(list, when) {
      const now = clock.now();
      const rows = list.map((job) => ({ id: newId(now.getTime()), job: JSON.stringify(JobSchema.parse(job)) }));
      const statement =
        db.run(sql`INSERT INTO ${outbox} (${columnNames(outbox.id)}, ${columnNames(outbox.job)}, ${columnNames(outbox.created_at)})
        SELECT json_extract(value, '$.id'), json_extract(value, '$.job'), ${now.toISOString()}
        FROM json_each(${JSON.stringify(rows)}) WHERE ${when ?? sql`1`}`);
      return { statement, ids: rows.map((r) => r.id) };
    },
    async deliver(ids) {
      if (ids.length === 0) return;
      try {
        await send(await claim(ids));
      } catch (err) {
        console.error(
          JSON.stringify({ level: "error", component: "outbox", msg: "deliver failed", ids, err: String(err) }),
        );
      }
    },
    async flush() {
      let sent = 0;
      for (let round = 0; round < MAX_CLAIMS_PER_RUN; round++) {
        const rows = await claim(null);
        const delivered = await send(rows);
        sent += delivered;
        // All claimed, or the queue refused (retrying it at once would only fail again).
        if (rows.length < CLAIM_SIZE || delivered === 0) break;
      }
      return sent;
    },
    async prune() {
      await db.delete(outbox).where(and(isNotNull(outbox.sent_at), lt(outbox.sent_at, iso(-KEEP_SENT_MS))));
    },
  };
}
