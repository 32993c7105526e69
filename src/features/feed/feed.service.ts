import { cursorPosition, encodeCursor } from "../../http/cursor";
import type { EdgeCache } from "../../platform/cache";
import type { JobQueue } from "../../platform/jobs";
import { canSeeContent, relationFromFacts } from "../../policy";
import { type HydrateDeps, hydratePosts, type Post } from "../posts/posts.hydrate";
import {
  type FeedRow,
  fanoutChunk,
  fanoutPost,
  feedCandidates,
  feedFallback,
  feedRowsByIds,
  readersOverCap,
  trimTimelines,
  unlinkAuthor,
} from "./feed.repo";

export interface FeedDeps extends HydrateDeps {
  cache: EdgeCache;
}

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
function allowed(viewerId: string, row: FeedRow): boolean {
  const relation = relationFromFacts(viewerId, row.author_id, row);
  if (!relation.self && (!relation.following || row.muted === 1)) return false;
  return canSeeContent(relation, row.audience);
}

const MAX_ROUNDS = 4;

/**
 * The chronological home feed: pushed timeline rows merged with pulled posts of high-follower
 * authors, then (past the timeline's end) followed authors' posts read directly, so it never ends
 * early. Every row is re-checked by the policy on every read, so an unfollow, block, mute,
 * privacy change or delete hides a post at once even where a timeline row or a cached page still
 * names it. Page 1 may come from KV (ids only; re-checked and hydrated on every read).
 */
export async function readFeed(
  deps: FeedDeps,
  viewerId: string,
  page: { cursor?: string; limit: number },
): Promise<{ items: Post[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const list = `feed:${viewerId}`;
  if (page.cursor === undefined) {
    const cached = await deps.cache.getJson<CachedPage>(feedCacheKey(viewerId));
    if (cached && cached.ids.length === page.limit) {
      const rows = (await feedRowsByIds(deps.db, viewerId, cached.ids)).filter((r) => allowed(viewerId, r));
      // Served only while every cached post is still there and still visible; else read afresh.
      if (rows.length === cached.ids.length) {
        return { items: await hydratePosts(deps, rows, viewerId), next_cursor: cached.next_cursor };
      }
    }
  }

  let before = await cursorPosition(secret, list, page.cursor);
  const fetch = page.limit + 10;
  const kept: FeedRow[] = [];
  let exhausted = false;
  let fallback = false;
  for (let round = 0; round < MAX_ROUNDS && kept.length < page.limit && !exhausted; round++) {
    const rows = fallback
      ? await feedFallback(deps.db, { viewerId, before: before ?? "\uffff", limit: fetch })
      : await feedCandidates(deps.db, {
          viewerId,
          before,
          limit: fetch,
          maxFollowers: deps.config.feed.fanoutMaxFollowers,
        });
    for (const row of rows) {
      if (kept.length < page.limit && allowed(viewerId, row)) kept.push(row);
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
  const position = kept.length >= page.limit ? lastKept?.id : exhausted ? undefined : before;
  const next_cursor = position ? await encodeCursor(secret, list, [position]) : null;
  if (page.cursor === undefined && kept.length === page.limit) {
    await deps.cache.putJson(
      feedCacheKey(viewerId),
      { ids: kept.map((r) => r.id), next_cursor } satisfies CachedPage,
      deps.config.feed.cacheTtlSeconds,
    );
  }
  return { items: await hydratePosts(deps, kept, viewerId), next_cursor };
}

/** Drops the cached first pages of these readers (after an unfollow, block, mute, post or delete). */
export async function invalidateFeeds(cache: EdgeCache, userIds: string[]): Promise<void> {
  await cache.delete(userIds.map(feedCacheKey));
}

/** One fan-out message: push to one chunk of followers, queue the next chunk. */
export async function fanout(
  deps: Pick<FeedDeps, "db" | "config"> & { jobs: JobQueue },
  postId: string,
  after: string | null,
) {
  const post = await fanoutPost(deps.db, postId);
  // Deleted since it was queued, or an author readers pull from: nothing to push.
  if (!post || post.deleted_at !== null || post.followers_count > deps.config.feed.fanoutMaxFollowers) return;
  const next = await fanoutChunk(deps.db, post, after);
  if (next !== null) await deps.jobs.send({ type: "feed.fanout", post_id: postId, after: next });
}

export async function unlink(deps: Pick<FeedDeps, "db">, userId: string, authorId: string): Promise<void> {
  await unlinkAuthor(deps.db, userId, authorId);
}

/** Cron: keeps timelines at their cap, a bounded number of readers per run. */
export async function trimAll(deps: Pick<FeedDeps, "db" | "config">): Promise<number> {
  const readers = await readersOverCap(deps.db, deps.config.feed.timelineCap, 500);
  return trimTimelines(deps.db, readers, deps.config.feed.timelineCap);
}
