import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { followRequests, follows, suggestionDismissals, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import { accountShownSql, blockedEitherWaySql, followsSql, mutesSql } from "../../policy";
import { userSummaryJson } from "../users/user-summary";

/*
 * Suggested accounts (docs/search.md, "Suggested accounts"): friends of friends read from a bounded
 * sample of the follow graph, ranked in SQL, with popular accounts filling what is left. Every
 * read below is an index seek or an index range with a LIMIT, so one call costs at most
 * SAMPLE_FOLLOWEES × EDGES_PER_FOLLOWEE follow edges plus POPULAR_POOL users, whatever the graph.
 */

/** The caller's most recent follows that are walked (their newest interests). */
export const SAMPLE_FOLLOWEES = 100;
/** Of each sampled account, its most recent follows that are walked. */
export const EDGES_PER_FOLLOWEE = 30;
/** The most followed accounts looked at for the popular fill. */
export const POPULAR_POOL = 200;

/** `viewer` has asked to follow `target` and is waiting. */
const requestedSql = (viewer: string, target: SQLWrapper): SQL =>
  sql`EXISTS (SELECT 1 FROM ${followRequests} WHERE ${followRequests.requester_id} = ${viewer} AND ${followRequests.target_id} = ${target})`;

/** `viewer` dismissed `target` from their suggestions. */
const dismissedSql = (viewer: string, target: SQLWrapper): SQL =>
  sql`EXISTS (SELECT 1 FROM ${suggestionDismissals} WHERE ${suggestionDismissals.user_id} = ${viewer} AND ${suggestionDismissals.dismissed_id} = ${target})`;

export interface SuggestionRow {
  /** The summary, as `userSummaryJson`. */
  user: string;
  mutuals: number;
  /** A JSON array of up to 3 usernames. */
  followed_by: string;
}

/**
 * The main statement, exported for its EXPLAIN QUERY PLAN test.
 * - `sample`: the viewer's SAMPLE_FOLLOWEES newest follows (`follows_follower_idx`, newest first).
 * - `walk`: each sampled account's EDGES_PER_FOLLOWEE newest follows, as one range of the same
 *   index from the id of its EDGES_PER_FOLLOWEE-th newest edge (found by a bounded OFFSET on it).
 * - `pool`: every walked account with its mutual count (how many sampled accounts follow it), and
 *   the POPULAR_POOL most followed accounts (`users_followers_count_idx`) with 0.
 * - Then the exclusions (self, followed, requested, blocked either way, muted, dismissed,
 *   suspended), each a primary-key probe or a column of the candidate's row, and the order:
 *   mutual count, followers, id.
 * - Last, for the `limit` chosen only, up to 3 of the sampled accounts that follow each (from the
 *   materialised walk, most followed first).
 */
export function suggestionsSql(viewerId: string, limit: number): SQL {
  const mine = alias(follows, "mine");
  const theirs = alias(follows, "theirs");
  const nth = alias(follows, "nth");
  const top = alias(users, "top");
  const u = alias(users, "u");
  const friend = alias(users, "friend");
  return sql`WITH sample(id) AS (
      SELECT ${mine.followee_id} FROM ${follows} ${mine}
      WHERE ${mine.follower_id} = ${viewerId} ORDER BY ${mine.id} DESC LIMIT ${SAMPLE_FOLLOWEES}
    ),
    walk(candidate, via) AS MATERIALIZED (
      SELECT ${theirs.followee_id}, sample.id FROM sample JOIN ${follows} ${theirs}
        ON ${theirs.follower_id} = sample.id
       AND ${theirs.id} >= COALESCE((SELECT ${nth.id} FROM ${follows} ${nth} WHERE ${nth.follower_id} = sample.id
             ORDER BY ${nth.id} DESC LIMIT 1 OFFSET ${EDGES_PER_FOLLOWEE - 1}), '')
    ),
    pool(candidate, mutuals) AS (
      SELECT candidate, COUNT(*) FROM walk GROUP BY candidate
      UNION ALL
      SELECT * FROM (SELECT ${top.id}, 0 FROM ${users} ${top} ORDER BY ${top.followers_count} DESC LIMIT ${POPULAR_POOL})
    ),
    ranked(candidate, mutuals) AS (
      SELECT candidate, MAX(mutuals) FROM pool GROUP BY candidate
    ),
    chosen(id, user, mutuals, followers) AS (
      SELECT ${u.id}, ${userSummaryJson(u)}, ranked.mutuals, ${u.followers_count}
      FROM ranked CROSS JOIN ${users} ${u} ON ${u.id} = ranked.candidate
      WHERE ${u.id} <> ${viewerId}
        AND NOT ${followsSql(viewerId, u.id)}
          AND NOT ${requestedSql(viewerId, u.id)}
        AND NOT ${blockedEitherWaySql(viewerId, u.id)}
        AND NOT ${mutesSql(viewerId, u.id)}
        AND NOT ${dismissedSql(viewerId, u.id)}
        AND ${accountShownSql(viewerId, u)}
      ORDER BY ranked.mutuals DESC, ${u.followers_count} DESC, ${u.id}
      LIMIT ${limit}
    )
    SELECT chosen.user AS user, chosen.mutuals AS mutuals,
      (SELECT json_group_array(name) FROM (
         SELECT ${friend.username} AS name FROM walk CROSS JOIN ${users} ${friend} ON ${friend.id} = walk.via
         WHERE walk.candidate = chosen.id AND ${accountShownSql(viewerId, friend)} ORDER BY ${friend.followers_count} DESC, ${friend.id} LIMIT 3)) AS followed_by
    FROM chosen
    ORDER BY chosen.mutuals DESC, chosen.followers DESC, chosen.id`;
}

export function suggestionsFor(db: Db, viewerId: string, limit: number): Promise<SuggestionRow[]> {
  return db.all<SuggestionRow>(suggestionsSql(viewerId, limit));
}

/** Records a dismissal; dismissing again changes nothing. */
export async function dismiss(db: Db, viewerId: string, dismissedId: string, now: string): Promise<void> {
  await db
    .insert(suggestionDismissals)
    .values({ user_id: viewerId, dismissed_id: dismissedId, created_at: now })
    .onConflictDoNothing();
}
