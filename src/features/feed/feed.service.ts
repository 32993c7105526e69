import { cursorPosition, decodeCursor, encodeCursor, invalidCursor } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import type { Platform } from "../../platform";
import type { EdgeCache } from "../../platform/cache";
import { newId } from "../../platform/ids";
import { canSeeInFeed, canSeeModerated, moderationFromFacts, relationFromFacts } from "../../policy";
import { cardsToPosts, type HydrateDeps, hydratePosts, type Post } from "../posts/posts.hydrate";
import { postsWithFacts } from "../posts/posts.repo";
import {
  affinities,
  backfillPosts,
  deleteSnapshotsBefore,
  FANOUT_CHUNK,
  type FanoutPost,
  type FeedRow,
  fanoutBoundaries,
  fanoutPost,
  fanoutReaders,
  feedCandidates,
  feedCards,
  feedCardsByIds,
  feedFallback,
  loadSnapshot,
  saveSnapshot,
} from "./feed.repo";

export type FeedDeps = HydrateDeps & Pick<Platform, "cache" | "timelines">;

export const feedCacheKey = (userId: string) => `feed:v1:${userId}`;

interface CachedPage {
  ids: string[];
  next_cursor: string | null;
}

/**
 * A home feed holds the reader's own posts and those of accounts they follow now (a timeline row
 * can outlive an unfollow until its clean-up runs), minus muted accounts, as far as the policy lets
 * them see each post, decided from the facts read with the row.
 */
export function feedAllows(viewerId: string, row: FeedRow): boolean {
  const relation = relationFromFacts(viewerId, row.author_id, row);
  return (
    canSeeInFeed(relation, row.audience, row.muted === 1) &&
    canSeeModerated({ self: relation.self, staff: false }, moderationFromFacts(row), "list")
  );
}

const MAX_ROUNDS = 4;
/**
 * Candidates beyond the page size that the one-statement path reads, for posts the policy drops
 * (rarely many: timelines are pushed to followers only). Larger is more rows read on every page
 * (20 read 312 rows in the bench, 5 read 222); a page short of the limit takes the long path.
 */
const FAST_WINDOW_SLACK = 5;

/**
 * Walks the feed sources newest first from `before`, keeping rows the reader may see, until
 * `want` are kept: timeline ∪ pulled high-follower authors, then (once that is used up) followed
 * authors' posts read directly. `position` is where the next page starts; null when all is read.
 */
async function collect(
  deps: FeedDeps,
  viewerId: string,
  from: string | null,
  want: number,
): Promise<{ rows: FeedRow[]; position: string | null }> {
  let before = from;
  const fetch = Math.min(want + 10, 200);
  const kept: FeedRow[] = [];
  let exhausted = false;
  let fallback = false;
  for (let round = 0; round < MAX_ROUNDS + Math.ceil(want / fetch) && kept.length < want && !exhausted; round++) {
    const rows = fallback
      ? await feedFallback(deps.db, { viewerId, before, limit: fetch })
      : await feedCandidates(deps.db, {
          viewerId,
          timelineIds: await deps.timelines.page(viewerId, before, fetch),
          before,
          limit: fetch,
          maxFollowers: deps.config.feed.fanoutMaxFollowers,
        });
    for (const row of rows) {
      if (kept.length < want && feedAllows(viewerId, row)) kept.push(row);
    }
    const last = rows[rows.length - 1];
    if (last) before = last.id;
    if (rows.length < fetch) {
      // This source is used up: go on with the direct read, or stop after it.
      if (fallback) exhausted = true;
      else fallback = true;
    }
  }
  const lastKept = kept[kept.length - 1];
  const position = kept.length >= want ? (lastKept?.id ?? null) : exhausted ? null : before;
  return { rows: kept, position };
}

/**
 * The chronological home feed: pushed timeline rows merged with pulled posts of high-follower
 * authors, then (past the timeline's end) followed authors' posts read directly, so it never ends
 * early. Every row is re-checked on every read, so an unfollow, block, mute, privacy change or
 * delete hides a post at once even where a timeline row or a cached page still names it. Page 1
 * may come from KV (ids only; re-checked and hydrated on every read).
 */
export async function readFeed(
  deps: FeedDeps,
  viewerId: string,
  page: { cursor?: string; limit: number; fresh?: boolean },
): Promise<{ items: Post[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const list = `feed:${viewerId}`;
  if (page.cursor === undefined && !page.fresh) {
    const cached = await deps.cache.getJson<CachedPage>(feedCacheKey(viewerId));
    if (cached && cached.ids.length === page.limit) {
      const cards = await feedCardsByIds(deps.db, viewerId, cached.ids);
      // Served only while every cached post is still there and still visible; else read afresh.
      if (cards.length === cached.ids.length) {
        return { items: await cardsToPosts(deps, cards, viewerId), next_cursor: cached.next_cursor };
      }
    }
  }
  const before = await cursorPosition(secret, list, page.cursor);
  // One call to the reader's timeline partition and one statement in the common case: a full page
  // survives the policy within the first window.
  const window = page.limit + FAST_WINDOW_SLACK;
  const cards = await feedCards(deps.db, {
    viewerId,
    timelineIds: await deps.timelines.page(viewerId, before, window),
    before,
    limit: page.limit,
    window,
    maxFollowers: deps.config.feed.fanoutMaxFollowers,
  });
  let items: Post[];
  let position: string | null;
  if (cards.length === page.limit) {
    items = await cardsToPosts(deps, cards, viewerId);
    position = cards[cards.length - 1]?.id ?? null;
  } else {
    const collected = await collect(deps, viewerId, before, page.limit);
    items = await hydratePosts(deps, collected.rows, viewerId);
    position = collected.position;
  }
  const next_cursor = position ? await encodeCursor(secret, list, [position]) : null;
  // Only a plain miss fills the cache. A `no-cache` read (pull to refresh) reads through and
  // leaves KV alone: a key takes about one write a second, and a refreshing thumb is faster.
  if (page.cursor === undefined && items.length === page.limit && !page.fresh) {
    await deps.cache.putJson(
      feedCacheKey(viewerId),
      { ids: items.map((p) => p.id), next_cursor } satisfies CachedPage,
      deps.config.feed.cacheTtlSeconds,
    );
  }
  return { items, next_cursor };
}

/** How many of the newest visible candidates a ranked feed orders. */
export const RANK_WINDOW = 200;
/** Recency decays with this time constant: a post loses 1/e of its weight each 24 hours. */
const RECENCY_HOURS = 24;

/**
 * The ranked feed's score: engagement (likes 1, comments 2, saves 3, log-damped so one viral post
 * does not bury everything) × recency (exponential decay) × affinity (1 + log of the reader's past
 * likes and, doubled, comments on the author).
 */
export function rankScore(s: {
  likes: number;
  comments: number;
  saves: number;
  ageHours: number;
  interactions: number;
}): number {
  const engagement = 1 + Math.log1p(s.likes + 2 * s.comments + 3 * s.saves);
  const recency = Math.exp(-Math.max(0, s.ageHours) / RECENCY_HOURS);
  const affinity = 1 + Math.log1p(s.interactions);
  return engagement * recency * affinity;
}

/**
 * `mode=ranked`: page 1 scores the newest RANK_WINDOW visible candidates, stores the order as a
 * snapshot, and pages through it by position: the order does not shift while the reader scrolls.
 * Rows are still re-checked on every page.
 */
export async function readRankedFeed(
  deps: FeedDeps,
  viewerId: string,
  page: { cursor?: string; limit: number },
): Promise<{ items: Post[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const list = `feed-ranked:${viewerId}`;
  let snapshotId: string;
  let offset: number;
  let ids: string[];
  // Page 1's snapshot, stored after its reads: with read replicas, a read after a write in the
  // same session must wait for the write to reach the replica (docs/replication.md).
  let snapshot: Parameters<typeof saveSnapshot>[1] | null = null;
  if (page.cursor !== undefined) {
    const [id, at] = await decodeCursor(secret, list, page.cursor);
    if (typeof id !== "string" || typeof at !== "number") throw invalidCursor();
    const stored = await loadSnapshot(deps.db, id, viewerId);
    if (!stored) throw new ApiError("invalid_cursor", "This ranked feed has expired; start again from the first page.");
    [snapshotId, offset, ids] = [id, at, stored];
  } else {
    const { rows } = await collect(deps, viewerId, null, RANK_WINDOW);
    const affinity = await affinities(
      deps.db,
      viewerId,
      rows.map((r) => r.author_id),
    );
    const now = deps.clock.now();
    const scored = rows.map((r) => ({
      id: r.id,
      score: rankScore({
        likes: r.like_count,
        comments: r.comment_count,
        saves: r.save_count,
        ageHours: (now.getTime() - Date.parse(r.created_at)) / 3_600_000,
        interactions: r.author_id === viewerId ? 0 : (affinity.get(r.author_id) ?? 0),
      }),
    }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : -1));
    [snapshotId, offset, ids] = [newId(now.getTime()), 0, scored.map((s) => s.id)];
    snapshot = { id: snapshotId, userId: viewerId, postIds: ids, now: now.toISOString() };
  }
  const slice = ids.slice(offset, offset + page.limit);
  const byId = new Map((await postsWithFacts(deps.db, viewerId, slice)).map((r) => [r.id, r]));
  const rows = slice.flatMap((id) => {
    const row = byId.get(id);
    return row && feedAllows(viewerId, row) ? [row] : [];
  });
  const next = offset + page.limit;
  const next_cursor = next < ids.length ? await encodeCursor(secret, list, [snapshotId, next]) : null;
  const items = await hydratePosts(deps, rows, viewerId);
  if (snapshot) await saveSnapshot(deps.db, snapshot);
  return { items, next_cursor };
}

/** Drops the cached first pages of these readers (after an unfollow, block, mute, post or delete). */
export async function invalidateFeeds(cache: EdgeCache, userIds: string[]): Promise<void> {
  await cache.delete(userIds.map(feedCacheKey));
}

/**
 * One fan-out message. A planning message (no range) splits the author's followers into ranges of
 * FANOUT_CHUNK edges, pushes the first range itself and queues the others in one sendBatch, so
 * they are delivered at once and in parallel instead of one queue hop after another. A range
 * message reads its range's readers from D1 and pushes the post into their timelines, one call per
 * partition they fall in, in parallel. Every step is idempotent (the timelines' key), so
 * redelivery is safe.
 */
export async function fanout(
  deps: Pick<Platform, "db" | "config" | "jobs" | "timelines">,
  postId: string,
  after: string | null,
  until?: string | null,
): Promise<void> {
  const post = await fanoutPost(deps.db, postId);
  // Deleted since it was queued, or an author readers pull from: nothing to push.
  if (!post || post.deleted_at !== null || post.followers_count > deps.config.feed.fanoutMaxFollowers) return;
  if (until !== undefined) return pushRange(deps, post, after, until);
  const bounds = await fanoutBoundaries(deps.db, post.author_id, FANOUT_CHUNK, null);
  const ranges = [null, ...bounds].map((from, i) => ({ after: from, until: bounds[i] ?? null }));
  const [first, ...rest] = ranges;
  await deps.jobs.sendAll(rest.map((r) => ({ type: "feed.fanout", post_id: postId, after: r.after, until: r.until })));
  if (first) await pushRange(deps, post, first.after, first.until);
}

async function pushRange(
  deps: Pick<Platform, "db" | "timelines">,
  post: FanoutPost,
  after: string | null,
  until: string | null,
): Promise<void> {
  const readers = await fanoutReaders(deps.db, post, after, until);
  if (readers.length > 0) await deps.timelines.push({ postId: post.id, authorId: post.author_id }, readers);
}

/** Posts of a newly followed account that go straight into the follower's timeline. */
export const BACKFILL_POSTS = 20;

/** After a follow (or an approved request): the followee's recent posts, and a fresh first page. */
export async function backfill(
  deps: Pick<FeedDeps, "db" | "config" | "cache" | "timelines">,
  userId: string,
  authorId: string,
): Promise<void> {
  const posts = await backfillPosts(deps.db, {
    userId,
    authorId,
    limit: BACKFILL_POSTS,
    maxFollowers: deps.config.feed.fanoutMaxFollowers,
  });
  await deps.timelines.add(userId, posts);
  await invalidateFeeds(deps.cache, [userId]);
}

export async function unlink(deps: Pick<FeedDeps, "timelines">, userId: string, authorId: string): Promise<void> {
  await deps.timelines.unlink(userId, authorId);
}

/**
 * Cron: drops ranked-feed snapshots older than an hour. (Timelines keep to their cap as they are
 * written: src/platform/timelines.ts.)
 */
export async function pruneFeedSnapshots(deps: Pick<FeedDeps, "db" | "clock">): Promise<void> {
  await deleteSnapshotsBefore(deps.db, new Date(deps.clock.now().getTime() - 3_600_000).toISOString());
}
