import { and, eq, lt, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { comments, feedSnapshots, follows, likes, posts, users } from "../../db/schema";
import type { TimelinePost } from "../../durable-objects/timeline-partition";
import { cachedAll, type Db, idAfter, idBefore } from "../../platform/db";
import { closeFriendSql, feedVisibleSql, followsSql } from "../../policy";
import { type CardRow, cardColumnsSql } from "../posts/posts.hydrate";
import { type PostWithFacts, postWithFactsColumnsSql } from "../posts/posts.repo";

/**
 * Followers pushed per fan-out message: one read of the follow index, then one call per partition
 * its readers fall in. A pushed author has at most FANOUT_MAX_FOLLOWERS (10,000) followers, so a
 * post is at most 4 messages; fewer, larger ranges mean fewer partition calls (each a commit),
 * which the bench measured as the fan-out's main cost (docs/scale.md, "Timelines").
 */
export const FANOUT_CHUNK = 2500;

export type FanoutPost = Pick<typeof posts.$inferSelect, "id" | "author_id" | "audience" | "deleted_at"> &
  Pick<typeof users.$inferSelect, "followers_count">;

export async function fanoutPost(db: Db, postId: string): Promise<FanoutPost | null> {
  const row = await db
    .select({
      id: posts.id,
      author_id: posts.author_id,
      audience: posts.audience,
      deleted_at: posts.deleted_at,
      followers_count: users.followers_count,
    })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.author_id))
    .where(eq(posts.id, postId))
    .get();
  return row ?? null;
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
  const rows = await db.all<Pick<typeof follows.$inferSelect, "id">>(
    sql`SELECT id FROM (SELECT ${follows.id} AS id, ROW_NUMBER() OVER (ORDER BY ${follows.id}) AS n FROM ${follows}
                        WHERE ${follows.followee_id} = ${authorId} AND ${idAfter(follows.id, after)})
        WHERE n % ${size} = 0 ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

/**
 * The readers a post goes to among the followers whose edge id is in (after, until] (null:
 * unbounded), over the (followee_id, id) index; close-friends posts to close friends only.
 */
export async function fanoutReaders(
  db: Db,
  post: FanoutPost,
  after: string | null,
  until: string | null,
): Promise<string[]> {
  const f = alias(follows, "f");
  const closeFriendsOnly = post.audience === "close_friends" ? 1 : 0;
  const rows = await db.all<{ id: string }>(
    sql`SELECT ${f.follower_id} AS id FROM ${follows} ${f}
        WHERE ${f.followee_id} = ${post.author_id} AND ${idAfter(f.id, after)} AND ${f.id} <= COALESCE(${until}, '~')
          AND (${closeFriendsOnly} = 0 OR ${closeFriendSql(post.author_id, f.follower_id)})`,
  );
  return rows.map((r) => r.id);
}

/**
 * A new follow: the followee's newest `limit` posts the follower may see, for the follower's
 * timeline, so the feed shows an account as soon as it is followed, not from its next post. None
 * for an author above the fan-out threshold (read time pulls those) or when the follow is gone.
 */
export async function backfillPosts(
  db: Db,
  args: { userId: string; authorId: string; limit: number; maxFollowers: number },
): Promise<TimelinePost[]> {
  const p = alias(posts, "p");
  return db.all<TimelinePost>(
    sql`SELECT ${p.id} AS postId, ${p.author_id} AS authorId FROM ${posts} ${p}
        WHERE ${p.author_id} = ${args.authorId} AND ${p.deleted_at} IS NULL
          AND ${followsSql(args.userId, args.authorId)}
          AND (SELECT ${users.followers_count} FROM ${users} WHERE ${users.id} = ${args.authorId}) <= ${args.maxFollowers}
          AND (${p.audience} <> 'close_friends' OR ${closeFriendSql(args.authorId, args.userId)})
        ORDER BY ${p.id} DESC LIMIT ${args.limit}`,
  );
}

export type FeedRow = PostWithFacts;

/** What a feed page is read from: the reader's timeline ids (from its partition) and the cursor. */
export interface FeedSource {
  viewerId: string;
  /** The reader's newest timeline ids before `before`, at least `limit` of them when there are. */
  timelineIds: string[];
  before: string | null;
  limit: number;
  maxFollowers: number;
}

/**
 * The ids (as `id`) of the newest `limit` feed candidates before `before`, newest first: the
 * reader's timeline ids merged with the reader's own posts (read-your-writes without a timeline
 * write) and the posts of followed authors above the fan-out threshold, which are pulled at read
 * time rather than pushed. Each source gives its newest `limit`, so the merge is exact. UNION ALL:
 * the sources rarely overlap (a timeline row of an author who has since crossed the threshold),
 * and the `IN` each caller puts the ids in removes such a duplicate without a de-duplicating pass
 * here (27 fewer rows read on a page than UNION, in the bench).
 */
export function candidateIdsSql(args: Omit<FeedSource, "timelineIds"> & { timelineJson: string }): SQL {
  const a = alias(users, "a");
  const f = alias(follows, "f");
  const p2 = alias(posts, "p2");
  const own = alias(posts, "own");
  return sql`SELECT value AS id FROM json_each(${args.timelineJson})
      UNION ALL
      SELECT id FROM (
        SELECT ${own.id} AS id FROM ${posts} ${own}
        WHERE ${own.author_id} = ${args.viewerId} AND ${own.deleted_at} IS NULL AND ${idBefore(own.id, args.before)}
        ORDER BY ${own.id} DESC LIMIT ${args.limit})
      UNION ALL
      SELECT id FROM (
        -- CROSS JOIN fixes the order: start from the few accounts above the threshold (index on
        -- followers_count), not from every account the reader follows.
        SELECT ${p2.id} AS id FROM ${users} ${a}
          CROSS JOIN ${follows} ${f} ON ${f.follower_id} = ${args.viewerId} AND ${f.followee_id} = ${a.id}
          CROSS JOIN ${posts} ${p2} ON ${p2.author_id} = ${a.id}
        WHERE ${a.followers_count} > ${args.maxFollowers} AND ${p2.deleted_at} IS NULL AND ${idBefore(p2.id, args.before)}
        ORDER BY ${p2.id} DESC LIMIT ${args.limit})
    ORDER BY 1 DESC LIMIT ${args.limit}`;
}

/**
 * One page of feed candidates, newest first, with the facts the policy needs about each author.
 * One D1 round trip.
 */
export async function feedCandidates(db: Db, args: FeedSource): Promise<FeedRow[]> {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  return db.all<FeedRow>(
    sql`SELECT ${postWithFactsColumnsSql(args.viewerId, p, u)}
        FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        WHERE ${p.deleted_at} IS NULL AND ${p.id} IN (${candidateIdsSql({ ...args, timelineJson: JSON.stringify(args.timelineIds) })})
        ORDER BY ${p.id} DESC LIMIT ${args.limit}`,
  );
}

/**
 * The common case of a feed page in ONE statement: the newest `window` candidates, filtered by
 * the feed policy in SQL, the first `limit` of them returned as whole cards. If fewer than `limit`
 * survive, the caller cannot tell a sparse window from the end of the sources, and reads the page
 * the long way (`feedCandidates` rounds, then the direct fallback).
 */
export type CardsArgs = Omit<FeedSource, "timelineIds"> & { timelineJson: string; window: number };

/** The one statement of a feed page (exported for the bench's rows-read breakdown). */
export function feedCardsSql({ viewerId, timelineJson, before, limit, window, maxFollowers }: CardsArgs): SQL {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  const candidates = candidateIdsSql({ viewerId, timelineJson, before, limit: window, maxFollowers });
  return sql`WITH candidates AS (${candidates}),
        page AS (
          -- Policy first, on ids only; the card columns below are computed for the page alone.
          SELECT ${p.id} AS id FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
          WHERE ${p.id} IN (SELECT id FROM candidates) AND ${p.deleted_at} IS NULL AND ${feedVisibleSql(viewerId, p, u)}
          ORDER BY ${p.id} DESC LIMIT ${limit})
        SELECT ${cardColumnsSql(viewerId, p, u)}
        FROM page pg CROSS JOIN ${posts} ${p} ON ${p.id} = pg.id JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        ORDER BY ${p.id} DESC`;
}

const feedCardsQuery = cachedAll<CardRow, CardsArgs>(feedCardsSql, [
  "viewerId",
  "timelineJson",
  "before",
  "limit",
  "window",
  "maxFollowers",
]);

/** `timelineIds`: the reader's newest `window` timeline ids before `before`. */
export async function feedCards(
  db: Db,
  args: Omit<FeedSource, "limit"> & { limit: number; window: number },
): Promise<CardRow[]> {
  // Rendered once per isolate (cachedAll): the statement's text never changes, only its values.
  const { timelineIds, ...rest } = args;
  return feedCardsQuery(db, { ...rest, timelineJson: JSON.stringify(timelineIds) });
}

/**
 * Cards of these posts that the feed policy still lets the viewer see (a cached page's re-check):
 * a post hidden, or an author suspended, since the page was cached is left out here.
 */
export async function feedCardsByIds(db: Db, viewerId: string, ids: string[]): Promise<CardRow[]> {
  // Rendered once per isolate (cachedAll): building it with drizzle cost ~280 µs a request.
  return feedCardsByIdsQuery(db, { viewerId, idsJson: JSON.stringify(ids) });
}

const feedCardsByIdsQuery = cachedAll<CardRow, { viewerId: string; idsJson: string }>(
  ({ viewerId, idsJson }) => {
    const p = alias(posts, "p");
    const u = alias(users, "u");
    return sql`SELECT ${cardColumnsSql(viewerId, p, u)} FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        WHERE ${p.id} IN (SELECT value FROM json_each(${idsJson})) AND ${p.deleted_at} IS NULL
          AND ${feedVisibleSql(viewerId, p, u)}
        ORDER BY ${p.id} DESC`;
  },
  ["viewerId", "idsJson"],
);

/**
 * Past the end of the timeline (trimmed at the cap, or older than anything ever pushed): posts of
 * followed authors (and the viewer's own) read straight from posts, so the feed never ends early.
 */
export async function feedFallback(
  db: Db,
  args: { viewerId: string; before: string | null; limit: number },
): Promise<FeedRow[]> {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  return db.all<FeedRow>(
    sql`SELECT ${postWithFactsColumnsSql(args.viewerId, p, u)}
        FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        WHERE ${p.deleted_at} IS NULL AND ${idBefore(p.id, args.before)}
          AND (${p.author_id} = ${args.viewerId}
               OR ${p.author_id} IN (SELECT ${follows.followee_id} FROM ${follows} WHERE ${follows.follower_id} = ${args.viewerId}))
        ORDER BY ${p.id} DESC LIMIT ${args.limit}`,
  );
}

/** How much the viewer has engaged with each author: likes count 1, comments 2. */
export async function affinities(db: Db, viewerId: string, authorIds: string[]): Promise<Map<string, number>> {
  const l = alias(likes, "l");
  const c = alias(comments, "c");
  const p = alias(posts, "p");
  const rows = await db.all<{ author_id: string; interactions: number }>(
    sql`SELECT a.value AS author_id,
          (SELECT COUNT(*) FROM ${likes} ${l} JOIN ${posts} ${p} ON ${p.id} = ${l.post_id}
           WHERE ${l.user_id} = ${viewerId} AND ${p.author_id} = a.value)
          + 2 * (SELECT COUNT(*) FROM ${comments} ${c} JOIN ${posts} ${p} ON ${p.id} = ${c.post_id}
                 WHERE ${c.author_id} = ${viewerId} AND ${p.author_id} = a.value)
          AS interactions
        FROM json_each(${JSON.stringify([...new Set(authorIds)])}) a`,
  );
  return new Map(rows.map((r) => [r.author_id, r.interactions]));
}

export async function saveSnapshot(db: Db, snapshot: { id: string; userId: string; postIds: string[]; now: string }) {
  await db.insert(feedSnapshots).values({
    id: snapshot.id,
    user_id: snapshot.userId,
    post_ids: JSON.stringify(snapshot.postIds),
    created_at: snapshot.now,
  });
}

export async function loadSnapshot(db: Db, id: string, userId: string): Promise<string[] | null> {
  const row = await db
    .select({ post_ids: feedSnapshots.post_ids })
    .from(feedSnapshots)
    .where(and(eq(feedSnapshots.id, id), eq(feedSnapshots.user_id, userId)))
    .get();
  return row ? (JSON.parse(row.post_ids) as string[]) : null;
}

export async function deleteSnapshotsBefore(db: Db, cutoff: string): Promise<void> {
  await db.delete(feedSnapshots).where(lt(feedSnapshots.created_at, cutoff));
}
