import { sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { follows, hashtags, posts, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import { accountShownSql, blockedEitherWaySql, followsSql } from "../../policy";
import { userSummaryJson } from "../users/user-summary";
import { ftsPhrase, postsFts, usersFts } from "./fts";

/** Every search looks at this many candidates at most: bounded work whatever the query. */
export const MAX_CANDIDATES = 100;
/** The highest code point: `q` ≤ s < `q + TOP` is "s starts with q" as an index range. */
const TOP = "\u{10FFFF}";

/** SQLite's implicit rowid of a table or alias (the FTS tables' content rowid). */
const rowidOf = (table: object) => sql`${table}.rowid`;

/**
 * Accounts whose username starts with `q` (any length, the unique index's range) or whose
 * username or display name contains it (3+ characters, trigram FTS, diacritics ignored), ranked:
 * exact username, then accounts the viewer follows or that follow the viewer, then mutual follows
 * (accounts the viewer follows that follow them), then bm25, then followers. No account across a
 * block either way, and no suspended account.
 */
export async function searchAccounts(db: Db, viewerId: string, q: string): Promise<{ user: string }[]> {
  const u = alias(users, "u");
  const f1 = alias(follows, "f1");
  const f2 = alias(follows, "f2");
  const fuzzy = [...q].length >= 3;
  // The FTS branch carries its bm25 (computed once, with the match): a correlated bm25 per
  // candidate would run the whole match again for each of them.
  const byText = fuzzy
    ? sql` UNION ALL SELECT * FROM (SELECT ${usersFts.rowid}, bm25(${usersFts}) FROM ${usersFts}
           WHERE ${usersFts} MATCH ${ftsPhrase(q)} ORDER BY bm25(${usersFts}) LIMIT ${MAX_CANDIDATES})`
    : sql``;
  return db.all<{ user: string }>(
    sql`WITH matches(rid, rank) AS (
          SELECT * FROM (SELECT ${rowidOf(users)}, NULL FROM ${users}
            WHERE ${users.username} >= ${q} AND ${users.username} < ${q + TOP} LIMIT ${MAX_CANDIDATES})
          ${byText}
        ), candidates AS (SELECT rid, MIN(rank) AS rank FROM matches GROUP BY rid)
        SELECT ${userSummaryJson(u)} AS user FROM candidates JOIN ${users} ${u} ON ${rowidOf(u)} = candidates.rid
        WHERE ${u.id} <> ${viewerId} AND NOT ${blockedEitherWaySql(viewerId, u.id)} AND ${accountShownSql(viewerId, u)}
        ORDER BY (${u.username} = ${q}) DESC,
          (${followsSql(viewerId, u.id)} OR ${followsSql(u.id, viewerId)}) DESC,
          (SELECT COUNT(*) FROM ${follows} ${f1} JOIN ${follows} ${f2}
             ON ${f2.follower_id} = ${f1.followee_id} AND ${f2.followee_id} = ${u.id}
           WHERE ${f1.follower_id} = ${viewerId}) DESC,
          COALESCE(candidates.rank, 0) ASC, ${u.followers_count} DESC, ${u.id}
        LIMIT ${MAX_CANDIDATES}`,
  );
}

/** Tags starting with `q`, most used first (at most 1,000 looked at: an index range, then a sort). */
export async function searchTags(db: Db, q: string): Promise<{ tag: string; post_count: number }[]> {
  const h = alias(hashtags, "h");
  return db.all<{ tag: string; post_count: number }>(
    sql`SELECT tag, post_count FROM (
          SELECT ${h.tag} AS tag, ${h.post_count} AS post_count FROM ${hashtags} ${h}
          WHERE ${h.tag} >= ${q} AND ${h.tag} < ${q + TOP} AND ${h.post_count} > 0 LIMIT 1000)
        ORDER BY post_count DESC, tag LIMIT ${MAX_CANDIDATES}`,
  );
}

/** Newest matches of a post search ranked: FTS5 walks a doclist in rowid order, so this bounds it. */
export const POST_MATCH_WINDOW = 1000;

/**
 * Live posts whose caption has the words of `q` as a phrase (diacritics ignored): the newest
 * POST_MATCH_WINDOW matches (rowids follow insertion), ranked by bm25 decayed with age (a week-old
 * post's relevance counts half), at most MAX_CANDIDATES; the caller applies the visibility policy.
 */
export async function searchPosts(db: Db, q: string): Promise<{ id: string }[]> {
  const p = alias(posts, "p");
  return db.all<{ id: string }>(
    sql`SELECT ${p.id} AS id FROM (
          SELECT ${postsFts.rowid} AS rid, bm25(${postsFts}) AS rank FROM ${postsFts}
          WHERE ${postsFts} MATCH ${ftsPhrase(q)} ORDER BY ${postsFts.rowid} DESC LIMIT ${POST_MATCH_WINDOW}
        ) AS m JOIN ${posts} ${p} ON ${rowidOf(p)} = m.rid
        WHERE ${p.deleted_at} IS NULL
        ORDER BY m.rank / (1.0 + (julianday('now') - julianday(${p.created_at})) / 7.0) ASC, ${p.id} DESC
        LIMIT ${MAX_CANDIDATES}`,
  );
}
