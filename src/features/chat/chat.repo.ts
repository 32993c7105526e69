import type { Db } from "../../platform/db";
import { legacyBlockedEitherWaySql, legacyFollowsSql } from "../../policy";

/*
 * The conversations index in D1. Messages are not here (each ChatRoom keeps its own); these rows
 * say who is in which conversation, in which folder, and what the inbox shows for it.
 */

/** True when a block stands between `member` and another member of the conversation (1:1 only). */
const BLOCKED_DIRECT = (conversation: string, member: string) => `(${conversation}.kind = 'direct' AND EXISTS (
    SELECT 1 FROM conversation_members o
    WHERE o.conversation_id = ${conversation}.id AND o.user_id <> ${member} AND ${legacyBlockedEitherWaySql(member, "o.user_id")}))`;

export interface Candidate {
  id: string;
  username: string;
  /** A block stands between this account and the creator, either way. */
  blocked: number;
  /** This account follows the creator: a conversation from them goes to the inbox, not requests. */
  follows_creator: number;
}

/** The accounts named, with what conversation creation needs to know about each. */
export async function findCandidates(db: Db, creatorId: string, usernames: string[]): Promise<Candidate[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT u.id, u.username,
         ${legacyBlockedEitherWaySql("?1", "u.id")} AS blocked,
         ${legacyFollowsSql("u.id", "?1")} AS follows_creator
       FROM users u WHERE u.username IN (SELECT value FROM json_each(?2))`,
    )
    .bind(creatorId, JSON.stringify(usernames))
    .all<Candidate>();
  return results;
}

export interface NewConversation {
  id: string;
  kind: "direct" | "group";
  directKey: string | null;
  title: string | null;
  createdBy: string;
  now: string;
  members: { userId: string; folder: "inbox" | "requests" }[];
}

/**
 * Creates the conversation and its members in one batch. For a 1:1 the unique `direct_key` makes
 * a concurrent second creation insert nothing (its member rows are conditioned on its own row).
 * Answers the id of the conversation that exists afterwards.
 */
export async function insertConversation(db: Db, c: NewConversation): Promise<string> {
  const d1 = db.$client;
  const [, , existing] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO conversations (id, kind, direct_key, title, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (direct_key) DO NOTHING`,
      )
      .bind(c.id, c.kind, c.directKey, c.title, c.createdBy, c.now),
    d1
      .prepare(
        `INSERT INTO conversation_members (conversation_id, user_id, folder, activity_id, joined_at)
         SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1, ?2 FROM json_each(?3)
         WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?1)`,
      )
      .bind(c.id, c.now, JSON.stringify(c.members.map((m) => [m.userId, m.folder]))),
    c.directKey === null
      ? d1.prepare("SELECT ?1 AS id").bind(c.id)
      : d1.prepare("SELECT id FROM conversations WHERE direct_key = ?1").bind(c.directKey),
  ]);
  const row = (existing?.results as { id: string }[] | undefined)?.[0];
  if (!row) throw new Error("conversation missing after insert");
  return row.id;
}

export interface Membership {
  kind: "direct" | "group";
  folder: "inbox" | "requests";
  /** A block stands between the members of this 1:1. */
  blocked: number;
}

/** The caller's membership of a conversation, or null when they are not in it. */
export async function findMembership(db: Db, conversationId: string, userId: string): Promise<Membership | null> {
  return db.$client
    .prepare(
      `SELECT c.kind, m.folder, ${BLOCKED_DIRECT("c", "m.user_id")} AS blocked
       FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ?1 AND m.user_id = ?2`,
    )
    .bind(conversationId, userId)
    .first<Membership>();
}

export interface ConversationRow {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  created_at: string;
  last_seq: number;
  last_message_id: string | null;
  last_message_sender_id: string | null;
  last_message_body: string | null;
  last_message_at: string | null;
  folder: "inbox" | "requests";
  activity_id: string;
  last_read_seq: number;
  /** JSON array of the members as user summaries. */
  members: string;
}

const CONVERSATION_COLUMNS = `c.id, c.kind, c.title, c.created_at, c.last_seq, c.last_message_id,
  c.last_message_sender_id, c.last_message_body, c.last_message_at, m.folder, m.activity_id, m.last_read_seq,
  (SELECT json_group_array(json_object('id', u.id, 'username', u.username, 'display_name', u.display_name,
            'avatar_media_id', u.avatar_media_id, 'is_private', u.is_private))
     FROM conversation_members cm JOIN users u ON u.id = cm.user_id
     WHERE cm.conversation_id = c.id) AS members`;

/** One page of the caller's folder, most recent activity first; 1:1s across a block are hidden. */
export async function listConversations(
  db: Db,
  args: { userId: string; folder: "inbox" | "requests"; before: [string, string] | null; limit: number },
): Promise<ConversationRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${CONVERSATION_COLUMNS}
       FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.user_id = ?1 AND m.folder = ?2
         -- A row value, so SQLite seeks the inbox index (see legacyIdBefore in platform/db).
         AND (m.activity_id, m.conversation_id) < (COALESCE(?3, '~'), COALESCE(?4, '~'))
         AND NOT ${BLOCKED_DIRECT("c", "m.user_id")}
       ORDER BY m.activity_id DESC, m.conversation_id DESC LIMIT ?5`,
    )
    .bind(args.userId, args.folder, args.before?.[0] ?? null, args.before?.[1] ?? null, args.limit)
    .all<ConversationRow>();
  return results;
}

export async function findConversation(
  db: Db,
  conversationId: string,
  userId: string,
): Promise<ConversationRow | null> {
  return db.$client
    .prepare(
      `SELECT ${CONVERSATION_COLUMNS}
       FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.conversation_id = ?1 AND m.user_id = ?2`,
    )
    .bind(conversationId, userId)
    .first<ConversationRow>();
}

export async function moveToInbox(db: Db, conversationId: string, userId: string): Promise<void> {
  await db.$client
    .prepare("UPDATE conversation_members SET folder = 'inbox' WHERE conversation_id = ?1 AND user_id = ?2")
    .bind(conversationId, userId)
    .run();
}

export async function deleteMember(db: Db, conversationId: string, userId: string): Promise<void> {
  await db.$client
    .prepare("DELETE FROM conversation_members WHERE conversation_id = ?1 AND user_id = ?2")
    .bind(conversationId, userId)
    .run();
}

/** The 1:1 between two accounts, if they have one. */
export async function findDirectConversationId(db: Db, a: string, b: string): Promise<string | null> {
  const row = await db.$client
    .prepare("SELECT id FROM conversations WHERE direct_key = ?1")
    .bind(directKey(a, b))
    .first<{ id: string }>();
  return row?.id ?? null;
}

/** The one key a pair's 1:1 has, whoever started it. */
export const directKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

// ---- realtime tickets ----

export async function insertTicket(
  db: Db,
  t: { tokenHash: string; userId: string; scope: string; expiresAt: string },
): Promise<void> {
  await db.$client
    .prepare("INSERT INTO realtime_tickets (token_hash, user_id, scope, expires_at) VALUES (?1, ?2, ?3, ?4)")
    .bind(t.tokenHash, t.userId, t.scope, t.expiresAt)
    .run();
}

/** Uses a ticket: one conditional UPDATE, so of two concurrent uses exactly one gets a row. */
export async function consumeTicket(
  db: Db,
  tokenHash: string,
  now: string,
): Promise<{ user_id: string; scope: string } | null> {
  return db.$client
    .prepare(
      `UPDATE realtime_tickets SET used_at = ?2
       WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
       RETURNING user_id, scope`,
    )
    .bind(tokenHash, now)
    .first<{ user_id: string; scope: string }>();
}

/** Hourly clean-up: tickets live a minute; an hour later nobody needs the row. */
export async function deleteOldTickets(db: Db, before: string): Promise<void> {
  await db.$client.prepare("DELETE FROM realtime_tickets WHERE expires_at < ?1").bind(before).run();
}
