import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { hashtags, postHashtags, posts, tagDailyUses, tagFollows, trendingTags, users } from "../../db/schema";
import { type Db, idBefore } from "../../platform/db";
import { type PostWithFacts, postWithFactsColumnsSql } from "../posts/posts.repo";
import type { Trend } from "./scores";

/** A tag's page header: its live post count (0 for a tag never used) and whether the viewer follows it. */
export async function tagView(db: Db, tag: string, viewerId: string | null) {
  const row = await db.get<{ post_count: number; following: number }>(
    sql`SELECT COALESCE((SELECT ${hashtags.post_count} FROM ${hashtags} WHERE ${hashtags.tag} = ${tag}), 0) AS post_count,
          EXISTS (SELECT 1 FROM ${tagFollows} WHERE ${tagFollows.user_id} = ${viewerId ?? ""} AND ${tagFollows.tag} = ${tag}) AS following`,
  );
  return { post_count: Math.max(0, row?.post_count ?? 0), following: row?.following === 1 };
}

export async function addTagFollow(db: Db, follow: { userId: string; tag: string; id: string; now: string }) {
  await db
    .insert(tagFollows)
    .values({ user_id: follow.userId, tag: follow.tag, id: follow.id, created_at: follow.now })
    .onConflictDoNothing();
}

export async function removeTagFollow(db: Db, userId: string, tag: string) {
  await db.delete(tagFollows).where(and(eq(tagFollows.user_id, userId), eq(tagFollows.tag, tag)));
}

/**
 * Live posts with `tag`, newest first, from `before` (exclusive; null: the newest), with their
 * authors' facts for the viewer: a range of post_hashtags(tag, post_id), then one posts and one
 * users lookup per row. Exported as SQL for the query-plan tests.
 */
export function recentTaggedSql(args: { viewerId: string | null; tag: string; before: string | null; limit: number }) {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  const ph = alias(postHashtags, "ph");
  return sql`SELECT ${postWithFactsColumnsSql(args.viewerId ?? "", p, u)}
    FROM ${postHashtags} ${ph} JOIN ${posts} ${p} ON ${p.id} = ${ph.post_id} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
    WHERE ${ph.tag} = ${args.tag} AND ${idBefore(ph.post_id, args.before)} AND ${p.deleted_at} IS NULL
    ORDER BY ${ph.post_id} DESC LIMIT ${args.limit}`;
}

export async function recentTagged(
  db: Db,
  args: { viewerId: string | null; tag: string; before: string | null; limit: number },
): Promise<PostWithFacts[]> {
  return db.all<PostWithFacts>(recentTaggedSql(args));
}

/**
 * `sort=top`'s candidates: live posts with `tag` whose ids lie in [from, until) (a time window, ids
 * being time-ordered), newest first, at most `limit`, with facts for the viewer. The same index
 * range as the recent list.
 */
export function topCandidatesSql(args: {
  viewerId: string | null;
  tag: string;
  from: string;
  until: string;
  limit: number;
}): SQL {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  const ph = alias(postHashtags, "ph");
  return sql`SELECT ${postWithFactsColumnsSql(args.viewerId ?? "", p, u)}
    FROM ${postHashtags} ${ph} JOIN ${posts} ${p} ON ${p.id} = ${ph.post_id} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
    WHERE ${ph.tag} = ${args.tag} AND ${ph.post_id} >= ${args.from} AND ${ph.post_id} < ${args.until} AND ${p.deleted_at} IS NULL
    ORDER BY ${ph.post_id} DESC LIMIT ${args.limit}`;
}

export async function topCandidates(
  db: Db,
  args: { viewerId: string | null; tag: string; from: string; until: string; limit: number },
): Promise<PostWithFacts[]> {
  return db.all<PostWithFacts>(topCandidatesSql(args));
}

/** How many tags the trend refresh scores at most (those most used today or yesterday). */
export const TREND_CANDIDATES = 1000;

/**
 * The trend refresh's input: for the tags used at least `minUses` times on `today` or `yesterday`
 * (a range of the day index), still on at least `minUses` live posts, their uses on each day from
 * `firstDay` to `today` (primary-key lookups). Exported as SQL for the query-plan tests.
 */
export function trendWindowSql(args: {
  today: string;
  yesterday: string;
  firstDay: string;
  minUses: number;
  candidates: number;
}): SQL {
  const d = alias(tagDailyUses, "d");
  const h = alias(hashtags, "h");
  return sql`WITH candidates(tag) AS (
      SELECT ${d.tag} FROM ${tagDailyUses} ${d}
      WHERE ${d.day} IN (${args.today}, ${args.yesterday}) AND ${d.uses} >= ${args.minUses}
      GROUP BY ${d.tag} ORDER BY MAX(${d.uses}) DESC LIMIT ${args.candidates})
    SELECT candidates.tag AS tag, ${tagDailyUses.day} AS day, ${tagDailyUses.uses} AS uses
    FROM candidates JOIN ${hashtags} ${h} ON ${h.tag} = candidates.tag
      JOIN ${tagDailyUses} ON ${tagDailyUses.tag} = candidates.tag
        AND ${tagDailyUses.day} >= ${args.firstDay} AND ${tagDailyUses.day} <= ${args.today}
    WHERE ${h.post_count} >= ${args.minUses}`;
}

export async function trendWindow(
  db: Db,
  args: { today: string; yesterday: string; firstDay: string; minUses: number },
): Promise<{ tag: string; day: string; uses: number }[]> {
  return db.all<{ tag: string; day: string; uses: number }>(trendWindowSql({ ...args, candidates: TREND_CANDIDATES }));
}

/** Replaces the stored trends in one batch (readers see the old list or the new one). */
export async function replaceTrends(db: Db, trends: Trend[], computedAt: string) {
  const clear = db.delete(trendingTags);
  if (trends.length === 0) {
    await clear;
    return;
  }
  // One insert a row: 20 rows of 6 columns in one would pass D1's 100 bound parameters.
  await db.batch([clear, ...trends.map((t) => db.insert(trendingTags).values({ ...t, computed_at: computedAt }))]);
}

export async function storedTrends(db: Db) {
  return db.select().from(trendingTags).orderBy(asc(trendingTags.rank));
}
