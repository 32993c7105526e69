import { and, eq, isNotNull, lt, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { follows, liveSessions, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import type { Job } from "../../platform/jobs";
import type { Outbox } from "../../platform/outbox";
import { accountGoneSql } from "../../policy";
import { userSummaryJson } from "../users/user-summary";

export type LiveRow = typeof liveSessions.$inferSelect;
/** A session with its host as lists show one (`userSummaryJson`), the host's privacy and suspension. */
export type LiveWithHost = LiveRow & { host: string; host_private: number; host_suspended: number };

const s = alias(liveSessions, "s");
const u = alias(users, "u");
const WITH_HOST = sql`SELECT ${s}.*, ${userSummaryJson(u)} AS host, ${u.is_private} AS host_private,
    ${accountGoneSql(u)} AS host_suspended
  FROM ${liveSessions} ${s} JOIN ${users} ${u} ON ${u.id} = ${s.host_id}`;

export async function findSession(db: Db, id: string): Promise<LiveWithHost | undefined> {
  return db.get<LiveWithHost | undefined>(sql`${WITH_HOST} WHERE ${s.id} = ${id}`);
}

export async function findOpenSession(db: Db, hostId: string) {
  return db
    .select({ id: liveSessions.id, stream_input_uid: liveSessions.stream_input_uid })
    .from(liveSessions)
    .where(and(eq(liveSessions.host_id, hostId), ne(liveSessions.status, "ended")))
    .get();
}

export async function insertSession(db: Db, row: typeof liveSessions.$inferInsert): Promise<void> {
  await db.insert(liveSessions).values(row);
}

/** Sessions live now of accounts `viewerId` follows (the policy is applied by the caller). */
export async function liveOfFollowed(db: Db, viewerId: string): Promise<LiveWithHost[]> {
  const f = alias(follows, "f");
  return db.all<LiveWithHost>(
    sql`${WITH_HOST} JOIN ${follows} ${f} ON ${f.followee_id} = ${s.host_id} AND ${f.follower_id} = ${viewerId}
        WHERE ${s.status} = 'live' ORDER BY ${s.started_at} DESC LIMIT 100`,
  );
}

/**
 * created → live (or live again after a disconnect); answers whether this call made it live, and
 * the ids of `jobs` (the go-live notifications), staged in the same batch only when it did: the
 * stage runs first and holds only while the session has never started, which the update then
 * changes, so a reconnect or a concurrent call stages nothing (docs/notifications.md).
 */
export async function markLive(
  db: Db,
  id: string,
  now: string,
  outbox: Pick<Outbox, "stage">,
  jobs: Job[],
): Promise<{ first: boolean; jobIds: string[] }> {
  const staged = outbox.stage(
    jobs,
    sql`EXISTS (SELECT 1 FROM ${liveSessions} WHERE ${liveSessions.id} = ${id}
          AND ${liveSessions.status} <> 'ended' AND ${liveSessions.started_at} IS NULL)`,
  );
  const [, rows] = await db.batch([
    staged.statement,
    db
      .update(liveSessions)
      .set({ status: "live", started_at: sql`COALESCE(${liveSessions.started_at}, ${now})`, disconnected_at: null })
      .where(and(eq(liveSessions.id, id), ne(liveSessions.status, "ended")))
      .returning({ started_at: liveSessions.started_at }),
  ]);
  const first = rows[0]?.started_at === now;
  return { first, jobIds: first ? staged.ids : [] };
}

export async function markDisconnected(db: Db, id: string, now: string): Promise<void> {
  await db
    .update(liveSessions)
    .set({ disconnected_at: sql`COALESCE(${liveSessions.disconnected_at}, ${now})` })
    .where(and(eq(liveSessions.id, id), ne(liveSessions.status, "ended")));
}

/** Ends a session; answers whether this call ended it. */
export async function markEnded(db: Db, id: string, now: string): Promise<boolean> {
  const rows = await db
    .update(liveSessions)
    .set({ status: "ended", ended_at: now })
    .where(and(eq(liveSessions.id, id), ne(liveSessions.status, "ended")))
    .returning({ id: liveSessions.id });
  return rows.length > 0;
}

export async function sessionByInput(db: Db, inputUid: string) {
  return db.select().from(liveSessions).where(eq(liveSessions.stream_input_uid, inputUid)).get();
}

/** Open sessions whose broadcast has been disconnected since before `before`. */
export async function disconnectedSince(db: Db, before: string) {
  return db
    .select({ id: liveSessions.id, stream_input_uid: liveSessions.stream_input_uid })
    .from(liveSessions)
    .where(
      and(
        ne(liveSessions.status, "ended"),
        isNotNull(liveSessions.disconnected_at),
        lt(liveSessions.disconnected_at, before),
      ),
    );
}
