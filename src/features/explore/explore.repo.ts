import { and, eq, lt, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { exploreSeen, exploreSnapshots, likes, postHashtags, posts, tagFollows } from "../../db/schema";
import { columnNames, type Db, inList } from "../../platform/db";

/*
 * Explore's candidate generators (docs/search.md), each bounded by LIMITs on index ranges: the
 * caller's last likes, a capped number of co-likers per post and of likes per co-liker, a few tags
 * and a few posts per tag, and a window of recent posts. No statement scans a table.
 */

/** The caller's most recent likes looked at. */
const MY_LIKES = 50;
/** Co-likers read per liked post, and co-likers kept. */
const LIKERS_PER_POST = 20;
const CO_LIKERS = 50;
/** Recent likes read per co-liker. */
const LIKES_PER_CO_LIKER = 20;
/** Tags kept, and recent posts read per tag. */
const TAGS = 10;
const POSTS_PER_TAG = 20;
/** Recent posts looked at for trending. */
const TRENDING_WINDOW = 500;

export interface Candidate {
  id: string;
  signal: number;
}

/**
 * (a) Co-engagement: people who liked what the caller liked recently (weighted by how many of
 * those likes they share), and what they liked; a post's signal is the sum of its likers' overlap
 * divided by √(1 + its like count), so a post everyone likes does not win by popularity alone.
 */
export function coEngagementSql(viewerId: string): SQL {
  const l = alias(likes, "l");
  const p = alias(posts, "p");
  return sql`WITH my_likes AS (
          SELECT ${l.post_id} AS post_id FROM ${likes} ${l} WHERE ${l.user_id} = ${viewerId}
          ORDER BY ${l.id} DESC LIMIT ${MY_LIKES}
        ), co_likers AS (
          SELECT likers.value AS user_id, COUNT(*) AS overlap
          FROM my_likes, json_each((SELECT json_group_array(user_id) FROM (
            SELECT ${l.user_id} AS user_id FROM ${likes} ${l}
            WHERE ${l.post_id} = my_likes.post_id AND ${l.user_id} <> ${viewerId}
            ORDER BY ${l.id} DESC LIMIT ${LIKERS_PER_POST}))) AS likers
          GROUP BY likers.value ORDER BY overlap DESC LIMIT ${CO_LIKERS}
        ), their_likes AS (
          SELECT co_likers.overlap AS overlap, liked.value AS post_id
          FROM co_likers, json_each((SELECT json_group_array(post_id) FROM (
            SELECT ${l.post_id} AS post_id FROM ${likes} ${l} WHERE ${l.user_id} = co_likers.user_id
            ORDER BY ${l.id} DESC LIMIT ${LIKES_PER_CO_LIKER}))) AS liked
        )
        SELECT ${p.id} AS id, SUM(their_likes.overlap) / pow(1.0 + ${p.like_count}, 0.5) AS signal
        FROM their_likes JOIN ${posts} ${p} ON ${p.id} = their_likes.post_id
        WHERE ${p.deleted_at} IS NULL GROUP BY ${p.id}`;
}

/**
 * (b) Tags: those the caller follows (weight 2) and those of the posts they liked recently (weight
 * 1 per like), the top TAGS; their newest posts, POSTS_PER_TAG each; a post's signal is the sum of
 * its tags' weights.
 */
export function byTagsSql(viewerId: string): SQL {
  const l = alias(likes, "l");
  const ph = alias(postHashtags, "ph");
  return sql`WITH weights AS (
          SELECT tag, SUM(w) AS weight FROM (
            SELECT ${tagFollows.tag} AS tag, 2.0 AS w FROM ${tagFollows} WHERE ${tagFollows.user_id} = ${viewerId}
            UNION ALL
            SELECT ${ph.tag} AS tag, 1.0 AS w FROM (
              SELECT ${l.post_id} AS post_id FROM ${likes} ${l} WHERE ${l.user_id} = ${viewerId}
              ORDER BY ${l.id} DESC LIMIT ${MY_LIKES}) AS my_likes
            JOIN ${postHashtags} ${ph} ON ${ph.post_id} = my_likes.post_id
          ) GROUP BY tag ORDER BY weight DESC LIMIT ${TAGS}
        ), tag_posts AS (
          SELECT weights.weight AS weight, tagged.value AS post_id
          FROM weights, json_each((SELECT json_group_array(post_id) FROM (
            SELECT ${ph.post_id} AS post_id FROM ${postHashtags} ${ph} WHERE ${ph.tag} = weights.tag
            ORDER BY ${ph.post_id} DESC LIMIT ${POSTS_PER_TAG}))) AS tagged
        )
        SELECT post_id AS id, SUM(weight) AS signal FROM tag_posts GROUP BY post_id`;
}

/**
 * (c) Trending: the newest TRENDING_WINDOW live posts created after `since`, by engagement with
 * decay: (likes + 2 × comments + 1) / (age in hours + 2)^1.5.
 */
export function trendingSql(sinceId: string): SQL {
  const p = alias(posts, "p");
  return sql`SELECT id, (like_count + 2.0 * comment_count + 1) / pow((julianday('now') - julianday(created_at)) * 24 + 2, 1.5) AS signal
        FROM (SELECT ${p.id} AS id, ${p.like_count} AS like_count, ${p.comment_count} AS comment_count, ${p.created_at} AS created_at
              FROM ${posts} ${p} WHERE ${p.id} > ${sinceId} AND ${p.deleted_at} IS NULL
              ORDER BY ${p.id} DESC LIMIT ${TRENDING_WINDOW})`;
}

export const coEngagement = (db: Db, viewerId: string) => db.all<Candidate>(coEngagementSql(viewerId));
export const byTags = (db: Db, viewerId: string) => db.all<Candidate>(byTagsSql(viewerId));
export const trending = (db: Db, sinceId: string) => db.all<Candidate>(trendingSql(sinceId));

/** Which of these posts the caller has liked or been shown in explore (the seen filter). */
export async function seenOrLiked(db: Db, viewerId: string, postIds: string[]): Promise<Set<string>> {
  if (postIds.length === 0) return new Set();
  const rows = await db.all<{ post_id: string }>(
    sql`SELECT ${exploreSeen.post_id} AS post_id FROM ${exploreSeen}
          WHERE ${exploreSeen.user_id} = ${viewerId} AND ${exploreSeen.post_id} IN ${inList(postIds)}
        UNION SELECT ${likes.post_id} FROM ${likes}
          WHERE ${likes.user_id} = ${viewerId} AND ${likes.post_id} IN ${inList(postIds)}`,
  );
  return new Set(rows.map((r) => r.post_id));
}

/** Seen set kept per user. */
export const SEEN_KEEP = 2000;

/** Records what a page showed, and keeps only the newest SEEN_KEEP rows of the user's set. */
export async function markSeen(db: Db, viewerId: string, postIds: string[], now: string): Promise<void> {
  if (postIds.length === 0) return;
  const s = exploreSeen;
  await db.batch([
    db.run(
      sql`INSERT OR REPLACE INTO ${s} (${columnNames(s.user_id, s.post_id, s.seen_at)})
          SELECT ${viewerId}, value, ${now} FROM json_each(${JSON.stringify(postIds)})`,
    ),
    db.run(
      sql`DELETE FROM ${s} WHERE ${s.user_id} = ${viewerId} AND ${s.post_id} IN (
            SELECT ${s.post_id} FROM ${s} WHERE ${s.user_id} = ${viewerId}
            ORDER BY ${s.seen_at} DESC LIMIT -1 OFFSET ${SEEN_KEEP})`,
    ),
  ]);
}

export async function saveSnapshot(db: Db, snap: { id: string; userId: string; postIds: string[]; now: string }) {
  await db
    .insert(exploreSnapshots)
    .values({ id: snap.id, user_id: snap.userId, post_ids: JSON.stringify(snap.postIds), created_at: snap.now });
}

export async function loadSnapshot(db: Db, id: string, userId: string): Promise<string[] | null> {
  const row = await db
    .select({ post_ids: exploreSnapshots.post_ids })
    .from(exploreSnapshots)
    .where(and(eq(exploreSnapshots.id, id), eq(exploreSnapshots.user_id, userId)))
    .get();
  return row ? (JSON.parse(row.post_ids) as string[]) : null;
}

export async function deleteSnapshotsBefore(db: Db, cutoff: string): Promise<void> {
  await db.delete(exploreSnapshots).where(lt(exploreSnapshots.created_at, cutoff));
}
