import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { conversationMembers, conversations, realtimeTickets, users } from "../../db/schema";
import { columnNames, type Db, inList } from "../../platform/db";
import {
  accountGoneSql,
  blockedEitherWaySql,
  blockedInConversationSql,
  conversationVisibleSql,
  followsSql,
} from "../../policy";
import { userSummaryJson } from "../users/user-summary";

/*
 * The conversations index in D1. Messages are not here (each ChatRoom keeps its own); these rows
 * say who is in which conversation, in which folder, and what the inbox shows for it.
 */

type Conversation = typeof conversations.$inferSelect;
type Member = typeof conversationMembers.$inferSelect;
type User = typeof users.$inferSelect;

/** `m` the caller's membership, `c` its conversation, `u` an account. */
const m = alias(conversationMembers, "m");
const c = alias(conversations, "c");
const u = alias(users, "u");

export type Candidate = Pick<User, "id" | "username"> & {
  /** A block stands between this account and the creator, either way. */
  blocked: number;
  /** This account follows the creator: a conversation from them goes to the inbox, not requests. */
  follows_creator: number;
};

/**
 * The accounts named, with what conversation creation needs to know about each. Raw SQL rather
 * than a one-table builder select: that select writes the columns in its select-list SQL without
 * their table, and `id` inside the policy's EXISTS subqueries would then mean the subquery
 * table's own `id`.
 */
export async function findCandidates(db: Db, creatorId: string, usernames: string[]): Promise<Candidate[]> {
  return db.all<Candidate>(
    sql`SELECT ${u.id}, ${u.username},
          ${blockedEitherWaySql(creatorId, u.id)} AS blocked,
          ${followsSql(u.id, creatorId)} AS follows_creator
        FROM ${users} ${u} WHERE ${u.username} IN ${inList(usernames)}`,
  );
}

export interface NewConversation {
  id: string;
  kind: Conversation["kind"];
  directKey: string | null;
  title: string | null;
  createdBy: string;
  now: string;
  members: { userId: string; folder: Member["folder"] }[];
}

/**
 * Creates the conversation and its members in one batch. For a 1:1 the unique `direct_key` makes
 * a concurrent second creation insert nothing (its member rows are conditioned on its own row).
 * Answers the id of the conversation that exists afterwards.
 */
export async function insertConversation(db: Db, n: NewConversation): Promise<string> {
  const [, , existing] = await db.batch([
    db
      .insert(conversations)
      .values({
        id: n.id,
        kind: n.kind,
        direct_key: n.directKey,
        title: n.title,
        created_by: n.createdBy,
        created_at: n.now,
      })
      .onConflictDoNothing({ target: conversations.direct_key }),
    db.run(
      sql`INSERT INTO ${conversationMembers} (${columnNames(conversationMembers.conversation_id, conversationMembers.user_id, conversationMembers.folder, conversationMembers.activity_id, conversationMembers.joined_at)})
          SELECT ${n.id}, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ${n.id}, ${n.now}
          FROM json_each(${JSON.stringify(n.members.map((member) => [member.userId, member.folder]))})
          WHERE EXISTS (SELECT 1 FROM ${conversations} WHERE ${conversations.id} = ${n.id})`,
    ),
    n.directKey === null
      ? db.all<Pick<Conversation, "id">>(sql`SELECT ${n.id} AS id`)
      : db.select({ id: conversations.id }).from(conversations).where(eq(conversations.direct_key, n.directKey)),
  ]);
  const row = existing[0];
  if (!row) throw new Error("conversation missing after insert");
  return row.id;
}

/** The caller's membership of a conversation, or null when they are not in it. */
export async function findMembership(db: Db, conversationId: string, userId: string) {
  const row = await db
    .select({
      kind: c.kind,
      folder: m.folder,
      /** A block stands between the caller and another member (hides a 1:1: canSeeConversation). */
      blocked: blockedInConversationSql(c.id, m.user_id).mapWith(Number),
    })
    .from(m)
    .innerJoin(c, eq(c.id, m.conversation_id))
    .where(and(eq(m.conversation_id, conversationId), eq(m.user_id, userId)))
    .get();
  return row ?? null;
}

/** A conversation as the caller's folder lists it. */
export type ConversationRow = Pick<
  Conversation,
  | "id"
  | "kind"
  | "title"
  | "created_at"
  | "last_seq"
  | "last_message_id"
  | "last_message_sender_id"
  | "last_message_body"
  | "last_message_at"
> &
  Pick<Member, "folder" | "activity_id" | "last_read_seq"> & {
    /** JSON array of the members as user summaries (`is_private` 0 or 1, as SQLite stores it). */
    members: string;
  };

const cm = alias(conversationMembers, "cm");
const conversationColumns = sql`${c.id}, ${c.kind}, ${c.title}, ${c.created_at}, ${c.last_seq}, ${c.last_message_id},
  ${c.last_message_sender_id}, ${c.last_message_body}, ${c.last_message_at}, ${m.folder}, ${m.activity_id}, ${m.last_read_seq},
  (SELECT json_group_array(${userSummaryJson(u)})
     FROM ${conversationMembers} ${cm} JOIN ${users} ${u} ON ${u.id} = ${cm.user_id}
     WHERE ${cm.conversation_id} = ${c.id}) AS members`;
const conversationFrom = sql`${conversationMembers} ${m} JOIN ${conversations} ${c} ON ${c.id} = ${m.conversation_id}`;

/** One page of the caller's folder, most recent activity first; 1:1s across a block are hidden. */
export async function listConversations(
  db: Db,
  args: { userId: string; folder: Member["folder"]; before: [string, string] | null; limit: number },
): Promise<ConversationRow[]> {
  return db.all<ConversationRow>(
    sql`SELECT ${conversationColumns}
        FROM ${conversationFrom}
        WHERE ${m.user_id} = ${args.userId} AND ${m.folder} = ${args.folder}
          -- A row value, so SQLite seeks the inbox index (see idBefore in platform/db).
          AND (${m.activity_id}, ${m.conversation_id}) < (COALESCE(${args.before?.[0] ?? null}, '~'), COALESCE(${args.before?.[1] ?? null}, '~'))
          AND ${conversationVisibleSql(c, m.user_id)}
        ORDER BY ${m.activity_id} DESC, ${m.conversation_id} DESC LIMIT ${args.limit}`,
  );
}

export async function findConversation(
  db: Db,
  conversationId: string,
  userId: string,
): Promise<ConversationRow | null> {
  const row = await db.get<ConversationRow | undefined>(
    sql`SELECT ${conversationColumns}
        FROM ${conversationFrom}
        WHERE ${m.conversation_id} = ${conversationId} AND ${m.user_id} = ${userId}`,
  );
  return row ?? null;
}

export async function moveToInbox(db: Db, conversationId: string, userId: string): Promise<void> {
  await db
    .update(conversationMembers)
    .set({ folder: "inbox" })
    .where(and(eq(conversationMembers.conversation_id, conversationId), eq(conversationMembers.user_id, userId)));
}

export async function deleteMember(db: Db, conversationId: string, userId: string): Promise<void> {
  await db
    .delete(conversationMembers)
    .where(and(eq(conversationMembers.conversation_id, conversationId), eq(conversationMembers.user_id, userId)));
}

/** The 1:1 between two accounts, if they have one. */
export async function findDirectConversationId(db: Db, a: string, b: string): Promise<string | null> {
  const row = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(eq(conversations.direct_key, directKey(a, b)))
    .get();
  return row?.id ?? null;
}

/** The one key a pair's 1:1 has, whoever started it. */
export const directKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

// ---- the ChatRoom's inbox index ----

/** The members a room starts from, with their read positions as of the last flush. */
export async function roomMembers(db: Db, conversationId: string) {
  return db
    .select({ user_id: conversationMembers.user_id, last_read_seq: conversationMembers.last_read_seq })
    .from(conversationMembers)
    .where(eq(conversationMembers.conversation_id, conversationId));
}

/**
 * A room's inbox flush, one batch: the members' read positions, and with a last message the
 * conversation's summary and every member's sort key. Each write only moves forward (a smaller
 * seq or id than stored changes nothing), so a late or repeated flush cannot undo a newer one.
 */
export async function flushInbox(
  db: Db,
  conversationId: string,
  reads: { user_id: string; read_seq: number }[],
  last: { seq: number; id: string; sender_id: string; body: string; created_at: string } | undefined,
): Promise<void> {
  const members = conversationMembers;
  const readsJson = JSON.stringify(reads.map((r) => [r.user_id, r.read_seq]));
  const readPositions = db.run(
    sql`UPDATE ${members} SET ${columnNames(members.last_read_seq)} = r.seq
        FROM (SELECT json_extract(value, '$[0]') AS reader_id, json_extract(value, '$[1]') AS seq FROM json_each(${readsJson})) AS r
        WHERE ${members.conversation_id} = ${conversationId} AND ${members.user_id} = r.reader_id
          AND ${members.last_read_seq} < r.seq`,
  );
  if (!last) {
    await db.batch([readPositions]);
    return;
  }
  await db.batch([
    readPositions,
    db
      .update(conversations)
      .set({
        last_seq: last.seq,
        last_message_id: last.id,
        last_message_sender_id: last.sender_id,
        last_message_body: last.body,
        last_message_at: last.created_at,
      })
      .where(and(eq(conversations.id, conversationId), lt(conversations.last_seq, last.seq))),
    db
      .update(members)
      .set({ activity_id: last.id })
      .where(and(eq(members.conversation_id, conversationId), lt(members.activity_id, last.id))),
  ]);
}

// ---- realtime tickets ----

export async function insertTicket(
  db: Db,
  t: { tokenHash: string; userId: string; scope: string; expiresAt: string },
): Promise<void> {
  await db
    .insert(realtimeTickets)
    .values({ token_hash: t.tokenHash, user_id: t.userId, scope: t.scope, expires_at: t.expiresAt });
}

/**
 * Uses a ticket: one conditional UPDATE, so of two concurrent uses exactly one gets a row. A
 * ticket of an account suspended since it was issued opens nothing (docs/moderation.md).
 */
export async function consumeTicket(db: Db, tokenHash: string, now: string) {
  const row = await db
    .update(realtimeTickets)
    .set({ used_at: now })
    .where(
      and(
        eq(realtimeTickets.token_hash, tokenHash),
        isNull(realtimeTickets.used_at),
        gt(realtimeTickets.expires_at, now),
        sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${realtimeTickets.user_id} AND ${accountGoneSql(users)})`,
      ),
    )
    .returning({ user_id: realtimeTickets.user_id, scope: realtimeTickets.scope })
    .get();
  return row ?? null;
}

/** Hourly clean-up: tickets live a minute; an hour later nobody needs the row. */
export async function deleteOldTickets(db: Db, before: string): Promise<void> {
  await db.delete(realtimeTickets).where(lt(realtimeTickets.expires_at, before));
}
