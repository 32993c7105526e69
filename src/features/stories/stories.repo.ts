import { type Db, legacyIdAfter, legacyIdBefore } from "../../platform/db";
import { legacyCloseFriendSql, legacyMutesSql, legacyRelationFactsSql, type RelationFacts } from "../../policy";

/** A story with its author, its image and the facts the policy needs about (viewer, author). */
export interface StoryRow extends RelationFacts {
  id: string;
  author_id: string;
  audience: "followers" | "close_friends";
  caption: string;
  view_count: number;
  created_at: string;
  expires_at: string;
  deleted_at: string | null;
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
  media_id: string;
  media_owner_id: string;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  muted: number;
}

/** `?1` is the viewer (or ''), `s` the story, `u` its author, `m` its image. */
const STORY_COLUMNS = `s.id, s.author_id, s.audience, s.caption, s.view_count, s.created_at, s.expires_at, s.deleted_at,
  u.username, u.display_name, u.avatar_media_id, u.is_private,
  m.id AS media_id, m.owner_id AS media_owner_id, m.width, m.height, m.thumbhash,
  ${legacyRelationFactsSql("?1", "s.author_id", "u.is_private")},
  ${legacyMutesSql("?1", "s.author_id")} AS muted`;
const STORY_JOINS = "JOIN users u ON u.id = s.author_id JOIN media m ON m.id = s.media_id";
const STORY_FROM = `stories s ${STORY_JOINS}`;

export interface NewStory {
  id: string;
  authorId: string;
  mediaId: string;
  audience: "followers" | "close_friends";
  caption: string;
  now: string;
  expiresAt: string;
  maxActive: number;
}

/**
 * One batch: the story, only if the image is the author's, ready and unused and the author has
 * fewer than `maxActive` live stories; then the image marked used, only if that insert happened.
 * Answers whether the story was written.
 */
export async function insertStory(db: Db, s: NewStory): Promise<boolean> {
  const d1 = db.$client;
  const [inserted] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO stories (id, author_id, media_id, audience, caption, created_at, expires_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE EXISTS (SELECT 1 FROM media WHERE id = ?3 AND owner_id = ?2 AND status = 'ready' AND attached_at IS NULL)
           AND (SELECT COUNT(*) FROM stories WHERE author_id = ?2 AND deleted_at IS NULL AND expires_at > ?6) < ?8`,
      )
      .bind(s.id, s.authorId, s.mediaId, s.audience, s.caption, s.now, s.expiresAt, s.maxActive),
    d1
      .prepare("UPDATE media SET attached_at = ?2 WHERE id = ?3 AND EXISTS (SELECT 1 FROM stories WHERE id = ?1)")
      .bind(s.id, s.now, s.mediaId),
  ]);
  return (inserted?.meta.changes ?? 0) > 0;
}

/** Why an insert did not happen: the image, or the limit. */
export async function usableMedia(db: Db, authorId: string, mediaId: string): Promise<boolean> {
  const row = await db.$client
    .prepare("SELECT 1 AS ok FROM media WHERE id = ?1 AND owner_id = ?2 AND status = 'ready' AND attached_at IS NULL")
    .bind(mediaId, authorId)
    .first();
  return row !== null;
}

export async function findStory(db: Db, viewerId: string | null, storyId: string): Promise<StoryRow | null> {
  return db.$client
    .prepare(`SELECT ${STORY_COLUMNS} FROM ${STORY_FROM} WHERE s.id = ?2`)
    .bind(viewerId ?? "", storyId)
    .first<StoryRow>();
}

/** An author's live stories, oldest first. */
export async function liveStoriesOf(db: Db, viewerId: string | null, authorId: string, now: string) {
  const { results } = await db.$client
    .prepare(
      `SELECT ${STORY_COLUMNS} FROM ${STORY_FROM}
       WHERE s.author_id = ?2 AND s.deleted_at IS NULL AND s.expires_at > ?3 ORDER BY s.id`,
    )
    .bind(viewerId ?? "", authorId, now)
    .all<StoryRow>();
  return results;
}

/**
 * The tray's candidates in one query: the stories the viewer's StoryTray was told about, the live
 * stories of followed accounts above the fan-out threshold (pulled, never pushed), and the
 * viewer's own live stories; each with the author and the policy facts, deleted and expired
 * stories left out.
 */
export async function trayCandidates(
  db: Db,
  args: { viewerId: string; pushedIds: string[]; now: string; fanoutMaxFollowers: number },
): Promise<StoryRow[]> {
  const { results } = await db.$client
    .prepare(
      `WITH candidates AS (
         SELECT value AS id FROM json_each(?2)
         UNION
         SELECT s.id FROM follows f
           JOIN users a ON a.id = f.followee_id AND a.followers_count > ?4
           JOIN stories s ON s.author_id = f.followee_id AND s.deleted_at IS NULL AND s.expires_at > ?3
         WHERE f.follower_id = ?1
         UNION
         SELECT s.id FROM stories s WHERE s.author_id = ?1 AND s.deleted_at IS NULL AND s.expires_at > ?3
       )
       SELECT ${STORY_COLUMNS} FROM candidates c JOIN stories s ON s.id = c.id ${STORY_JOINS}
       WHERE s.deleted_at IS NULL AND s.expires_at > ?3`,
    )
    .bind(args.viewerId, JSON.stringify(args.pushedIds), args.now, args.fanoutMaxFollowers)
    .all<StoryRow>();
  return results;
}

/** The author's stories for the archive, newest first, expired ones included. */
export async function archivePage(db: Db, authorId: string, before: string | null, limit: number) {
  const { results } = await db.$client
    .prepare(
      `SELECT ${STORY_COLUMNS} FROM ${STORY_FROM}
       WHERE s.author_id = ?2 AND s.deleted_at IS NULL AND ${legacyIdBefore("s.id", "?3")} ORDER BY s.id DESC LIMIT ?4`,
    )
    .bind(authorId, authorId, before, limit)
    .all<StoryRow>();
  return results;
}

export async function softDeleteStory(db: Db, authorId: string, storyId: string, now: string): Promise<boolean> {
  const result = await db.$client
    .prepare("UPDATE stories SET deleted_at = ?3 WHERE id = ?1 AND author_id = ?2 AND deleted_at IS NULL")
    .bind(storyId, authorId, now)
    .run();
  return result.meta.changes > 0;
}

/**
 * A view, once per viewer: the row and the counter in one batch, the counter moving only when
 * this call's row (by its new id) is the one stored, so repeats and races count once.
 */
export async function recordView(db: Db, v: { storyId: string; viewerId: string; id: string; now: string }) {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare("INSERT OR IGNORE INTO story_views (story_id, viewer_id, id, viewed_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(v.storyId, v.viewerId, v.id, v.now),
    d1
      .prepare(
        `UPDATE stories SET view_count = view_count + 1
         WHERE id = ?1 AND EXISTS (SELECT 1 FROM story_views WHERE story_id = ?1 AND viewer_id = ?2 AND id = ?3)`,
      )
      .bind(v.storyId, v.viewerId, v.id),
  ]);
}

export interface ViewerRow {
  view_id: string;
  viewed_at: string;
  id: string;
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
}

export async function viewersPage(db: Db, storyId: string, before: string | null, limit: number) {
  const { results } = await db.$client
    .prepare(
      `SELECT v.id AS view_id, v.viewed_at, u.id, u.username, u.display_name, u.avatar_media_id, u.is_private
       FROM story_views v JOIN users u ON u.id = v.viewer_id
       WHERE v.story_id = ?1 AND ${legacyIdBefore("v.id", "?2")} ORDER BY v.id DESC LIMIT ?3`,
    )
    .bind(storyId, before, limit)
    .all<ViewerRow>();
  return results;
}

// ---- fan-out ----

/** Followers of the author after the edge `after` (close friends among them only, if asked). */
export async function followerChunk(
  db: Db,
  args: { authorId: string; after: string | null; closeFriendsOnly: boolean; limit: number },
): Promise<{ follower_id: string; edge_id: string }[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT f.follower_id, f.id AS edge_id FROM follows f
       WHERE f.followee_id = ?1 AND ${legacyIdAfter("f.id", "?2")}
         AND (?3 = 0 OR ${legacyCloseFriendSql("?1", "f.follower_id")})
       ORDER BY f.id LIMIT ?4`,
    )
    .bind(args.authorId, args.after, args.closeFriendsOnly ? 1 : 0, args.limit)
    .all<{ follower_id: string; edge_id: string }>();
  return results;
}

export async function followersCount(db: Db, userId: string): Promise<number> {
  const row = await db.$client
    .prepare("SELECT followers_count FROM users WHERE id = ?1")
    .bind(userId)
    .first<{ followers_count: number }>();
  return row?.followers_count ?? 0;
}

// ---- highlights ----

/** Which of these ids are the owner's own, undeleted stories. */
export async function ownStoryIds(db: Db, ownerId: string, ids: string[]): Promise<Set<string>> {
  const { results } = await db.$client
    .prepare(
      "SELECT id FROM stories WHERE author_id = ?1 AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?2))",
    )
    .bind(ownerId, JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

export async function insertHighlight(
  db: Db,
  h: { id: string; ownerId: string; title: string; now: string; storyIds: string[] },
): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare("INSERT INTO highlights (id, owner_id, title, created_at) VALUES (?1, ?2, ?3, ?4)")
      .bind(h.id, h.ownerId, h.title, h.now),
    d1
      .prepare(
        `INSERT INTO highlight_stories (highlight_id, position, story_id)
         SELECT ?1, key, value FROM json_each(?2)`,
      )
      .bind(h.id, JSON.stringify(h.storyIds)),
  ]);
}

export interface HighlightRow {
  id: string;
  owner_id: string;
  title: string;
  created_at: string;
}

export async function highlightsPage(db: Db, ownerId: string, before: string | null, limit: number) {
  const { results } = await db.$client
    .prepare(
      `SELECT id, owner_id, title, created_at FROM highlights
       WHERE owner_id = ?1 AND ${legacyIdBefore("id", "?2")} ORDER BY id DESC LIMIT ?3`,
    )
    .bind(ownerId, before, limit)
    .all<HighlightRow>();
  return results;
}

/** The stories of these highlights, in highlight order, deleted ones left out. */
export async function highlightStoryRows(db: Db, viewerId: string | null, highlightIds: string[]) {
  const { results } = await db.$client
    .prepare(
      `SELECT hs.highlight_id, ${STORY_COLUMNS}
       FROM highlight_stories hs JOIN stories s ON s.id = hs.story_id ${STORY_JOINS}
       WHERE hs.highlight_id IN (SELECT value FROM json_each(?2)) AND s.deleted_at IS NULL
       ORDER BY hs.highlight_id, hs.position`,
    )
    .bind(viewerId ?? "", JSON.stringify(highlightIds))
    .all<StoryRow & { highlight_id: string }>();
  return results;
}

export async function findHighlight(db: Db, id: string): Promise<HighlightRow | null> {
  return db.$client
    .prepare("SELECT id, owner_id, title, created_at FROM highlights WHERE id = ?1")
    .bind(id)
    .first<HighlightRow>();
}

export async function deleteHighlight(db: Db, id: string): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1.prepare("DELETE FROM highlight_stories WHERE highlight_id = ?1").bind(id),
    d1.prepare("DELETE FROM highlights WHERE id = ?1").bind(id),
  ]);
}
