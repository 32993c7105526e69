import { type Db, legacyIdAfter, legacyIdBefore } from "../../platform/db";
import { legacyCloseFriendSql, legacyFeedVisibleSql, legacyFollowsSql } from "../../policy";
import { CARD_COLUMNS, type CardRow } from "../posts/posts.hydrate";
import { POST_WITH_FACTS_COLUMNS, type PostRow, type PostWithFacts } from "../posts/posts.repo";

/** Followers pushed per fan-out message (one INSERT … SELECT each). */
export const FANOUT_CHUNK = 1000;

export interface FanoutPost {
  id: string;
  author_id: string;
  audience: PostRow["audience"];
  deleted_at: string | null;
  followers_count: number;
}

export function fanoutPost(db: Db, postId: string): Promise<FanoutPost | null> {
  return db.$client
    .prepare(
      `SELECT p.id, p.author_id, p.audience, p.deleted_at, u.followers_count
       FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = ?1`,
    )
    .bind(postId)
    .first<FanoutPost>();
}

/**
 * Where the author's follower list after edge `after` (null: from the start) splits into chunks
 * of `size`: the edge id ending each full chunk, in order. One pass over the author's slice of the
 * (followee_id, id) index (at most FANOUT_MAX_FOLLOWERS entries, since larger authors are not
 * pushed at all).
 */
export async function fanoutBoundaries(
  db: Db,
  authorId: string,
  size: number,
  after: string | null,
): Promise<string[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM follows
                       WHERE followee_id = ?1 AND ${legacyIdAfter("id", "?3")})
       WHERE n % ?2 = 0 ORDER BY id`,
    )
    .bind(authorId, size, after)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * Pushes a post into the timelines of the followers whose edge id is in (after, until] (null:
 * unbounded), over the (followee_id, id) index; close-friends posts to close friends only.
 * INSERT OR IGNORE on the (user_id, post_id) key makes a redelivered range change nothing.
 */
export async function fanoutRange(db: Db, post: FanoutPost, after: string | null, until: string | null): Promise<void> {
  await db.$client
    .prepare(
      `INSERT OR IGNORE INTO timeline (user_id, post_id, author_id)
       SELECT f.follower_id, ?4, ?1 FROM follows f
       WHERE f.followee_id = ?1 AND ${legacyIdAfter("f.id", "?2")} AND f.id <= COALESCE(?5, '~')
         AND (?3 = 0 OR ${legacyCloseFriendSql("?1", "f.follower_id")})`,
    )
    .bind(post.author_id, after, post.audience === "close_friends" ? 1 : 0, post.id, until)
    .run();
}

/**
 * A new follow: the followee's newest `limit` posts the follower may see go into the follower's
 * timeline at once, so the feed shows an account as soon as it is followed, not from its next
 * post. Nothing for an author above the fan-out threshold (read time pulls those) or when the
 * follow is gone again. INSERT OR IGNORE: repeats add nothing.
 */
export async function backfillAuthor(
  db: Db,
  args: { userId: string; authorId: string; limit: number; maxFollowers: number },
): Promise<void> {
  await db.$client
    .prepare(
      `INSERT OR IGNORE INTO timeline (user_id, post_id, author_id)
       SELECT ?1, p.id, p.author_id FROM posts p
       WHERE p.author_id = ?2 AND p.deleted_at IS NULL
         AND ${legacyFollowsSql("?1", "?2")}
         AND (SELECT followers_count FROM users WHERE id = ?2) <= ?4
         AND (p.audience <> 'close_friends' OR ${legacyCloseFriendSql("?2", "?1")})
       ORDER BY p.id DESC LIMIT ?3`,
    )
    .bind(args.userId, args.authorId, args.limit, args.maxFollowers)
    .run();
}

export async function unlinkAuthor(db: Db, userId: string, authorId: string): Promise<void> {
  await db.$client.prepare("DELETE FROM timeline WHERE user_id = ?1 AND author_id = ?2").bind(userId, authorId).run();
}

/** Keeps each listed reader's timeline to its newest `cap` rows. */
export async function trimTimelines(db: Db, userIds: string[], cap: number): Promise<number> {
  if (userIds.length === 0) return 0;
  const result = await db.$client
    .prepare(
      `DELETE FROM timeline WHERE user_id IN (SELECT value FROM json_each(?1))
         AND post_id < (SELECT t2.post_id FROM timeline t2 WHERE t2.user_id = timeline.user_id
                        ORDER BY t2.post_id DESC LIMIT 1 OFFSET ?2 - 1)`,
    )
    .bind(JSON.stringify(userIds), cap)
    .run();
  return result.meta.changes;
}

/** Readers whose timelines hold more than `cap` rows (for the trim job), a bounded batch at a time. */
export async function readersOverCap(db: Db, cap: number, limit: number): Promise<string[]> {
  const { results } = await db.$client
    .prepare("SELECT user_id FROM timeline GROUP BY user_id HAVING COUNT(*) > ?1 LIMIT ?2")
    .bind(cap, limit)
    .all<{ user_id: string }>();
  return results.map((r) => r.user_id);
}

export type FeedRow = PostWithFacts;

/**
 * The ids of the newest `limit` feed candidates before a position, newest first: the reader's
 * timeline rows merged with the posts of followed authors above the fan-out threshold, which are
 * pulled at read time rather than pushed. The arguments name the statement's parameters.
 */
function candidateIdsSql(p: { viewer: string; before: string; limit: string; maxFollowers: string }): string {
  return `SELECT id FROM (
      SELECT post_id AS id FROM (
        SELECT post_id FROM timeline WHERE user_id = ${p.viewer} AND ${legacyIdBefore("post_id", p.before)}
        ORDER BY post_id DESC LIMIT ${p.limit})
      UNION
      SELECT id FROM (
        -- CROSS JOIN fixes the order: start from the few accounts above the threshold (index on
        -- followers_count), not from every account the reader follows.
        SELECT p2.id FROM users a
          CROSS JOIN follows f ON f.follower_id = ${p.viewer} AND f.followee_id = a.id
          CROSS JOIN posts p2 ON p2.author_id = a.id
        WHERE a.followers_count > ${p.maxFollowers} AND p2.deleted_at IS NULL AND ${legacyIdBefore("p2.id", p.before)}
        ORDER BY p2.id DESC LIMIT ${p.limit}))
    ORDER BY id DESC LIMIT ${p.limit}`;
}

/**
 * One page of feed candidates, newest first, with the facts the policy needs about each author.
 * One D1 round trip.
 */
export async function feedCandidates(
  db: Db,
  args: { viewerId: string; before: string | null; limit: number; maxFollowers: number },
): Promise<FeedRow[]> {
  const candidates = candidateIdsSql({ viewer: "?1", before: "?2", limit: "?3", maxFollowers: "?4" });
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_WITH_FACTS_COLUMNS}
       FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.deleted_at IS NULL AND p.id IN (${candidates})
       ORDER BY p.id DESC LIMIT ?3`,
    )
    .bind(args.viewerId, args.before, args.limit, args.maxFollowers)
    .all<FeedRow>();
  return results;
}

/**
 * The common case of a feed page in ONE statement: the newest `window` candidates, filtered by
 * the feed policy in SQL, the first `limit` of them returned as whole cards. If fewer than `limit`
 * survive, the caller cannot tell a sparse window from the end of the sources, and reads the page
 * the long way (`feedCandidates` rounds, then the direct fallback).
 */
export async function feedCards(
  db: Db,
  args: { viewerId: string; before: string | null; limit: number; window: number; maxFollowers: number },
): Promise<CardRow[]> {
  const candidates = candidateIdsSql({ viewer: "?1", before: "?2", limit: "?3", maxFollowers: "?5" });
  const { results } = await db.$client
    .prepare(
      `WITH candidates AS (${candidates}),
       page AS (
         -- Policy first, on ids only; the card columns below are computed for the page alone.
         SELECT p.id FROM candidates c CROSS JOIN posts p ON p.id = c.id
         WHERE p.deleted_at IS NULL AND ${legacyFeedVisibleSql("?1", "p")}
         ORDER BY p.id DESC LIMIT ?4)
       SELECT ${CARD_COLUMNS}
       FROM page pg CROSS JOIN posts p ON p.id = pg.id JOIN users u ON u.id = p.author_id
       ORDER BY p.id DESC`,
    )
    .bind(args.viewerId, args.before, args.window, args.limit, args.maxFollowers)
    .all<CardRow>();
  return results;
}

/** Cards of these posts that the feed policy still lets the viewer see (a cached page's re-check). */
export async function feedCardsByIds(db: Db, viewerId: string, ids: string[]): Promise<CardRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${CARD_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.id IN (SELECT value FROM json_each(?2)) AND p.deleted_at IS NULL AND ${legacyFeedVisibleSql("?1", "p")}
       ORDER BY p.id DESC`,
    )
    .bind(viewerId, JSON.stringify(ids))
    .all<CardRow>();
  return results;
}

/**
 * Past the end of the timeline (trimmed at the cap, or older than anything ever pushed): posts of
 * followed authors (and the viewer's own) read straight from posts, so the feed never ends early.
 */
export async function feedFallback(
  db: Db,
  args: { viewerId: string; before: string | null; limit: number },
): Promise<FeedRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_WITH_FACTS_COLUMNS}
       FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.deleted_at IS NULL AND ${legacyIdBefore("p.id", "?2")}
         AND (p.author_id = ?1 OR p.author_id IN (SELECT followee_id FROM follows WHERE follower_id = ?1))
       ORDER BY p.id DESC LIMIT ?3`,
    )
    .bind(args.viewerId, args.before, args.limit)
    .all<FeedRow>();
  return results;
}

/** How much the viewer has engaged with each author: likes count 1, comments 2. */
export async function affinities(db: Db, viewerId: string, authorIds: string[]): Promise<Map<string, number>> {
  const { results } = await db.$client
    .prepare(
      `SELECT a.value AS author_id,
         (SELECT COUNT(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE l.user_id = ?1 AND p.author_id = a.value)
         + 2 * (SELECT COUNT(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.author_id = ?1 AND p.author_id = a.value)
         AS interactions
       FROM json_each(?2) a`,
    )
    .bind(viewerId, JSON.stringify([...new Set(authorIds)]))
    .all<{ author_id: string; interactions: number }>();
  return new Map(results.map((r) => [r.author_id, r.interactions]));
}

export async function saveSnapshot(db: Db, snapshot: { id: string; userId: string; postIds: string[]; now: string }) {
  await db.$client
    .prepare("INSERT INTO feed_snapshots (id, user_id, post_ids, created_at) VALUES (?1, ?2, ?3, ?4)")
    .bind(snapshot.id, snapshot.userId, JSON.stringify(snapshot.postIds), snapshot.now)
    .run();
}

export async function loadSnapshot(db: Db, id: string, userId: string): Promise<string[] | null> {
  const row = await db.$client
    .prepare("SELECT post_ids FROM feed_snapshots WHERE id = ?1 AND user_id = ?2")
    .bind(id, userId)
    .first<{ post_ids: string }>();
  return row ? (JSON.parse(row.post_ids) as string[]) : null;
}

export async function deleteSnapshotsBefore(db: Db, cutoff: string): Promise<void> {
  await db.$client.prepare("DELETE FROM feed_snapshots WHERE created_at < ?1").bind(cutoff).run();
}
