import { decodeCursor, encodeCursor, invalidCursor } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import type { Platform } from "../../platform";
import { idFloor, newId } from "../../platform/ids";
import { canSeeContent, canSeeModerated, moderationFromFacts, relationFromFacts } from "../../policy";
import { type HydrateDeps, hydratePosts, type Post } from "../posts/posts.hydrate";
import type { PostWithFacts } from "../posts/posts.repo";
import { normaliseTag } from "../posts/tags";
import { MIN_USES, rankTrends, TOP_CANDIDATES, TOP_WINDOW_DAYS, TREND_HISTORY_DAYS, topScore } from "./scores";
import {
  addTagFollow,
  recentTagged,
  removeTagFollow,
  replaceTrends,
  storedTrends,
  tagView,
  topCandidates,
  trendWindow,
} from "./tags.repo";

/*
 * Hashtag pages, followed tags and trends (docs/search.md "Hashtag pages and trends"). Every post
 * listed passes the post reads' own rule (`canSeeContent`) for the viewer, anonymous included.
 */

export type TagDeps = HydrateDeps;

const DAY_MS = 86_400_000;

/** The stored form of a `{tag}` the route already validated. */
function stored(raw: string): string {
  const tag = normaliseTag(raw);
  if (tag === null) throw new ApiError("validation_failed", "Not a hashtag.");
  return tag;
}

/** A tag's header. A tag nobody used yet answers post_count 0 (it can be followed before its first post). */
export async function getTag(deps: Pick<Platform, "db">, viewerId: string | null, raw: string) {
  const tag = stored(raw);
  return { tag, ...(await tagView(deps.db, tag, viewerId)) };
}

/** Idempotent: following twice keeps one row. */
export async function followTag(deps: Pick<Platform, "db" | "clock">, userId: string, raw: string) {
  const tag = stored(raw);
  const now = deps.clock.now();
  await addTagFollow(deps.db, { userId, tag, id: newId(now.getTime()), now: now.toISOString() });
  return { following: true };
}

export async function unfollowTag(deps: Pick<Platform, "db">, userId: string, raw: string) {
  await removeTagFollow(deps.db, userId, stored(raw));
  return { following: false };
}

/** A tag page is a list: hidden posts and suspended authors' posts are left out, for their authors too. */
const visibleTo = (viewerId: string | null) => (row: PostWithFacts) => {
  const relation = relationFromFacts(viewerId, row.author_id, row);
  return (
    canSeeContent(relation, row.audience) &&
    canSeeModerated({ self: relation.self, staff: false }, moderationFromFacts(row), "list")
  );
};

/** Rounds of reading a recent page, so a tag full of posts the viewer may not see stays bounded work. */
const RECENT_ROUNDS = 4;

/**
 * `sort=recent`: newest first, keyset-paged by post id. At most RECENT_ROUNDS reads of limit + 10
 * rows; a page may come back short (even empty) with a next_cursor when the policy dropped many.
 */
async function recentPage(
  deps: TagDeps,
  viewerId: string | null,
  tag: string,
  page: { cursor?: string; limit: number },
) {
  const secret = deps.config.signingSecret;
  const list = `tag-recent:${viewerId ?? ""}:${tag}`;
  let before: string | null = null;
  if (page.cursor !== undefined) {
    const [value] = await decodeCursor(secret, list, page.cursor);
    if (typeof value !== "string") throw invalidCursor();
    before = value;
  }
  const fetch = page.limit + 10;
  const kept: PostWithFacts[] = [];
  const allowed = visibleTo(viewerId);
  let exhausted = false;
  for (let round = 0; round < RECENT_ROUNDS && kept.length < page.limit && !exhausted; round++) {
    const rows = await recentTagged(deps.db, { viewerId, tag, before, limit: fetch });
    let read = 0;
    for (const row of rows) {
      if (kept.length >= page.limit) break;
      before = row.id;
      read++;
      if (allowed(row)) kept.push(row);
    }
    // The index range is used up once a short read has been read to its end.
    if (rows.length < fetch && read === rows.length) exhausted = true;
  }
  const next_cursor = exhausted || before === null ? null : await encodeCursor(secret, list, [before]);
  return { items: await hydratePosts(deps, kept, viewerId), next_cursor };
}

/**
 * `sort=top`: the newest TOP_CANDIDATES live posts of the TOP_WINDOW_DAYS before the anchor (the
 * time page 1 was read) that the viewer may see, by `topScore` with ages measured at the anchor.
 * The cursor carries the anchor and an offset: later pages rank the same window at the same
 * instant, so new posts and the passing of time do not move the order under the reader (only
 * likes, comments and saves given meanwhile can).
 */
async function topPage(deps: TagDeps, viewerId: string | null, tag: string, page: { cursor?: string; limit: number }) {
  const secret = deps.config.signingSecret;
  const list = `tag-top:${viewerId ?? ""}:${tag}`;
  let anchor = deps.clock.now().getTime();
  let offset = 0;
  if (page.cursor !== undefined) {
    const [at, from] = await decodeCursor(secret, list, page.cursor);
    if (typeof at !== "number" || typeof from !== "number" || !Number.isSafeInteger(from) || from < 0) {
      throw invalidCursor();
    }
    [anchor, offset] = [at, from];
  }
  const rows = await topCandidates(deps.db, {
    viewerId,
    tag,
    from: idFloor(anchor - TOP_WINDOW_DAYS * DAY_MS),
    until: idFloor(anchor + 1),
    limit: TOP_CANDIDATES,
  });
  const ranked = rows
    .filter(visibleTo(viewerId))
    .map((row) => ({
      row,
      score: topScore({
        likes: row.like_count,
        comments: row.comment_count,
        saves: row.save_count,
        ageHours: (anchor - Date.parse(row.created_at)) / 3_600_000,
      }),
    }))
    .sort((a, b) => b.score - a.score || (a.row.id < b.row.id ? 1 : -1));
  const slice = ranked.slice(offset, offset + page.limit).map((r) => r.row);
  const next = offset + page.limit;
  return {
    items: await hydratePosts(deps, slice, viewerId),
    next_cursor: next < ranked.length ? await encodeCursor(secret, list, [anchor, next]) : null,
  };
}

export async function tagPosts(
  deps: TagDeps,
  viewerId: string | null,
  raw: string,
  query: { sort: "recent" | "top"; cursor?: string; limit: number },
): Promise<{ items: Post[]; next_cursor: string | null }> {
  const tag = stored(raw);
  return query.sort === "top" ? topPage(deps, viewerId, tag, query) : recentPage(deps, viewerId, tag, query);
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Cron (hourly): scores the tags used today or yesterday against their usual rate and rewrites
 * `trending_tags`. Reads TREND_HISTORY_DAYS + 2 days of `tag_daily_uses` for at most
 * TREND_CANDIDATES tags; returns how many trends it stored.
 */
export async function refreshTrends(deps: Pick<Platform, "db" | "clock">): Promise<number> {
  const now = deps.clock.now().getTime();
  const today = dayOf(now);
  const days = Array.from({ length: TREND_HISTORY_DAYS + 2 }, (_, i) => dayOf(now - i * DAY_MS));
  const rows = await trendWindow(deps.db, {
    today,
    yesterday: days[1] ?? today,
    firstDay: days[days.length - 1] ?? today,
    minUses: MIN_USES,
  });
  const byTag = new Map<string, number[]>();
  for (const row of rows) {
    const uses = byTag.get(row.tag) ?? days.map(() => 0);
    const at = days.indexOf(row.day);
    if (at >= 0) uses[at] = row.uses;
    byTag.set(row.tag, uses);
  }
  const hoursIntoDay = (now - Date.parse(`${today}T00:00:00.000Z`)) / 3_600_000;
  const trends = rankTrends(
    [...byTag].map(([tag, uses]) => ({ tag, uses })),
    hoursIntoDay,
  );
  await replaceTrends(deps.db, trends, new Date(now).toISOString());
  return trends.length;
}

/** The trends as the cron last stored them: one read of a table of at most 20 rows. */
export async function trendingTags(deps: Pick<Platform, "db">) {
  const rows = await storedTrends(deps.db);
  return {
    items: rows.map(({ computed_at: _, ...t }) => t),
    computed_at: rows[0]?.computed_at ?? null,
  };
}
