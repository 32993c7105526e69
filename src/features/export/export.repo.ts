import { and, asc, desc, eq, gt, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  comments,
  conversationMembers,
  conversations,
  type DataExportRow,
  dataExports,
  highlightStories,
  highlights,
  likes,
  media,
  postHashtags,
  postMedia,
  postMentions,
  posts,
  saves,
  stories,
  users,
} from "../../db/schema";
import { type Db, idAfter, inList } from "../../platform/db";
import type { Staged } from "../../platform/outbox";

/** Rows one keyset page of an export reads: small enough to keep memory flat, large enough to be few queries. */
export const EXPORT_PAGE = 200;

export async function findExport(db: Db, id: string): Promise<DataExportRow | undefined> {
  return db.select().from(dataExports).where(eq(dataExports.id, id)).get();
}

export async function latestExport(db: Db, userId: string): Promise<DataExportRow | undefined> {
  return db
    .select()
    .from(dataExports)
    .where(eq(dataExports.user_id, userId))
    .orderBy(desc(dataExports.created_at), desc(dataExports.id))
    .limit(1)
    .get();
}

/**
 * Records a new export with its job, unless the account has one pending or one ready from the
 * last 24 hours (checked in the same statement, so two concurrent requests make one export).
 */
export async function insertExport(
  db: Db,
  e: { id: string; userId: string; key: string; now: string; dayAgo: string },
  staged: Staged,
): Promise<boolean> {
  const x = dataExports;
  const [result] = await db.batch([
    db.run(
      sql`INSERT INTO ${x} (id, user_id, status, object_key, created_at)
          SELECT ${e.id}, ${e.userId}, 'pending', ${e.key}, ${e.now}
          WHERE NOT EXISTS (SELECT 1 FROM ${x} WHERE ${x.user_id} = ${e.userId}
            AND (${x.status} = 'pending' OR (${x.status} = 'ready' AND ${x.created_at} > ${e.dayAgo})))`,
    ),
    staged.statement,
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** A delivery starts its multipart upload: recorded so the next attempt can abort it. */
export async function startAttempt(db: Db, id: string, uploadId: string): Promise<boolean> {
  const rows = await db
    .update(dataExports)
    .set({ upload_id: uploadId, attempts: sql`${dataExports.attempts} + 1` })
    .where(and(eq(dataExports.id, id), eq(dataExports.status, "pending")))
    .returning({ id: dataExports.id });
  return rows.length > 0;
}

export async function clearUpload(db: Db, id: string, uploadId: string): Promise<void> {
  await db
    .update(dataExports)
    .set({ upload_id: null })
    .where(and(eq(dataExports.id, id), eq(dataExports.upload_id, uploadId)));
}

/** The upload completed: ready, with the notification staged in the same batch (only if this call moved the row). */
export async function markReady(
  db: Db,
  e: { id: string; uploadId: string; size: number; completedAt: string; expiresAt: string },
  staged: Staged,
  /** More statements conditional on this call's update (the ready mail). */
  after: Staged["statement"][] = [],
): Promise<boolean> {
  const [result] = await db.batch([
    db
      .update(dataExports)
      .set({
        status: "ready",
        size_bytes: e.size,
        completed_at: e.completedAt,
        expires_at: e.expiresAt,
        upload_id: null,
        error: null,
      })
      .where(and(eq(dataExports.id, e.id), eq(dataExports.status, "pending"), eq(dataExports.upload_id, e.uploadId))),
    staged.statement,
    ...after,
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

export async function markFailed(db: Db, id: string, error: string, at: string, expiresAt: string): Promise<void> {
  await db
    .update(dataExports)
    .set({ status: "failed", error, completed_at: at, expires_at: expiresAt, upload_id: null })
    .where(and(eq(dataExports.id, id), eq(dataExports.status, "pending")));
}

/** Exports whose time is up (their objects are deleted, then their rows). */
export async function expiredExports(db: Db, now: string, limit: number) {
  return db
    .select({ id: dataExports.id, object_key: dataExports.object_key, upload_id: dataExports.upload_id })
    .from(dataExports)
    .where(lt(dataExports.expires_at, now))
    .limit(limit);
}

export async function deleteExports(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.delete(dataExports).where(sql`${dataExports.id} IN ${inList(ids)}`);
}

// ---- what an export contains: keyset pages over the account's rows ----

/** The profile: every column but the password hash (tokens live in other tables and are never read). */
export async function accountRow(db: Db, userId: string) {
  return db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      display_name: users.display_name,
      bio: users.bio,
      avatar_media_id: users.avatar_media_id,
      is_private: users.is_private,
      role: users.role,
      followers_count: users.followers_count,
      following_count: users.following_count,
      posts_count: users.posts_count,
      suspended_at: users.suspended_at,
      suspended_until: users.suspended_until,
      created_at: users.created_at,
      updated_at: users.updated_at,
    })
    .from(users)
    .where(eq(users.id, userId))
    .get();
}

export async function postsPage(db: Db, userId: string, after: string | null) {
  return db
    .select({
      id: posts.id,
      caption: posts.caption,
      location: posts.location,
      audience: posts.audience,
      like_count: posts.like_count,
      comment_count: posts.comment_count,
      created_at: posts.created_at,
      updated_at: posts.updated_at,
      hidden_at: posts.hidden_at,
    })
    .from(posts)
    .where(and(eq(posts.author_id, userId), idAfter(posts.id, after), isNull(posts.deleted_at)))
    .orderBy(asc(posts.id))
    .limit(EXPORT_PAGE);
}

/** The images, hashtags and mentions of a page of posts, three queries for the page. */
export async function postDetails(db: Db, postIds: string[]) {
  const ids = inList(postIds);
  const [images, tags, mentions] = await db.batch([
    db
      .select({
        post_id: postMedia.post_id,
        position: postMedia.position,
        media_id: postMedia.media_id,
        alt_text: postMedia.alt_text,
      })
      .from(postMedia)
      .where(sql`${postMedia.post_id} IN ${ids}`)
      .orderBy(asc(postMedia.post_id), asc(postMedia.position)),
    db
      .select({ post_id: postHashtags.post_id, tag: postHashtags.tag })
      .from(postHashtags)
      .where(sql`${postHashtags.post_id} IN ${ids}`),
    db
      .select({ post_id: postMentions.post_id, user_id: postMentions.user_id, username: users.username })
      .from(postMentions)
      .leftJoin(users, eq(users.id, postMentions.user_id))
      .where(sql`${postMentions.post_id} IN ${ids}`),
  ]);
  return { images, tags, mentions };
}

export async function commentsPage(db: Db, userId: string, after: string | null) {
  return db
    .select({
      id: comments.id,
      post_id: comments.post_id,
      parent_id: comments.parent_id,
      body: comments.body,
      created_at: comments.created_at,
      hidden_at: comments.hidden_at,
    })
    .from(comments)
    .where(and(eq(comments.author_id, userId), idAfter(comments.id, after)))
    .orderBy(asc(comments.id))
    .limit(EXPORT_PAGE);
}

/** Likes and saves: the post and its author's username. */
export async function postEdgesPage(db: Db, kind: "likes" | "saves", userId: string, after: string | null) {
  const t = kind === "likes" ? likes : saves;
  return db
    .select({ id: t.id, post_id: t.post_id, post_author: users.username, created_at: t.created_at })
    .from(t)
    .leftJoin(posts, eq(posts.id, t.post_id))
    .leftJoin(users, eq(users.id, posts.author_id))
    .where(and(eq(t.user_id, userId), idAfter(t.id, after)))
    .orderBy(asc(t.id))
    .limit(EXPORT_PAGE);
}

/** A table of edges between two accounts with an `id` and a `created_at` (follows, blocks…). */
export interface EdgeTable {
  table: SQLiteTable;
  id: AnySQLiteColumn;
  created_at: AnySQLiteColumn;
  /** The column holding the exported account. */
  mine: AnySQLiteColumn;
  /** The column holding the other account. */
  other: AnySQLiteColumn;
}

/** One page of an account's edges, oldest first, with the other account's username (null once it is gone). */
export async function edgesPage(
  db: Db,
  e: EdgeTable,
  userId: string,
  after: string | null,
): Promise<{ id: string; user_id: string; username: string | null; created_at: string }[]> {
  return db.all(
    sql`SELECT ${e.id} AS id, ${e.other} AS user_id, ${users.username} AS username, ${e.created_at} AS created_at
        FROM ${e.table} LEFT JOIN ${users} ON ${users.id} = ${e.other}
        WHERE ${e.mine} = ${userId} AND ${idAfter(e.id, after)}
        ORDER BY ${e.id} LIMIT ${EXPORT_PAGE}`,
  );
}

export async function storiesPage(db: Db, userId: string, after: string | null) {
  return db
    .select({
      id: stories.id,
      media_id: stories.media_id,
      audience: stories.audience,
      caption: stories.caption,
      alt_text: stories.alt_text,
      view_count: stories.view_count,
      created_at: stories.created_at,
      expires_at: stories.expires_at,
      hidden_at: stories.hidden_at,
    })
    .from(stories)
    .where(and(eq(stories.author_id, userId), idAfter(stories.id, after), isNull(stories.deleted_at)))
    .orderBy(asc(stories.id))
    .limit(EXPORT_PAGE);
}

export async function highlightsPage(db: Db, userId: string, after: string | null) {
  const page = await db
    .select({ id: highlights.id, title: highlights.title, created_at: highlights.created_at })
    .from(highlights)
    .where(and(eq(highlights.owner_id, userId), idAfter(highlights.id, after)))
    .orderBy(asc(highlights.id))
    .limit(EXPORT_PAGE);
  if (page.length === 0) return [];
  const items = await db
    .select({ highlight_id: highlightStories.highlight_id, story_id: highlightStories.story_id })
    .from(highlightStories)
    .where(sql`${highlightStories.highlight_id} IN ${inList(page.map((h) => h.id))}`)
    .orderBy(asc(highlightStories.highlight_id), asc(highlightStories.position));
  return page.map((h) => ({
    ...h,
    story_ids: items.filter((i) => i.highlight_id === h.id).map((i) => i.story_id),
  }));
}

/** The conversations the account is in, by id. */
export async function conversationsPage(db: Db, userId: string, after: string | null) {
  return db
    .select({ id: conversations.id, kind: conversations.kind, title: conversations.title })
    .from(conversationMembers)
    .innerJoin(conversations, eq(conversations.id, conversationMembers.conversation_id))
    .where(and(eq(conversationMembers.user_id, userId), idAfter(conversationMembers.conversation_id, after)))
    .orderBy(asc(conversationMembers.conversation_id))
    .limit(EXPORT_PAGE);
}

/**
 * The account's processed images (their masters), in upload order: keyset on (created_at, id)
 * so the owner index serves every page.
 */
export async function mastersPage(db: Db, userId: string, after: { created_at: string; id: string } | null) {
  const bound: SQL | undefined = after
    ? or(gt(media.created_at, after.created_at), and(eq(media.created_at, after.created_at), gt(media.id, after.id)))
    : undefined;
  return db
    .select({ id: media.id, master_key: media.master_key, created_at: media.created_at })
    .from(media)
    .where(and(eq(media.owner_id, userId), eq(media.status, "ready"), bound))
    .orderBy(asc(media.created_at), asc(media.id))
    .limit(EXPORT_PAGE);
}
