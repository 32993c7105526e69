import { decodeCursor, encodeCursor, invalidCursor } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import type { Platform } from "../../platform";
import { idFloor, newId } from "../../platform/ids";
import { canSeeContent, relationFromFacts } from "../../policy";
import { type HydrateDeps, hydratePosts, type Post } from "../posts/posts.hydrate";
import { type PostWithFacts, postsWithFacts } from "../posts/posts.repo";
import { diversify, type Scored } from "./diversify";
import {
  byTags,
  type Candidate,
  coEngagement,
  deleteSnapshotsBefore,
  loadSnapshot,
  markSeen,
  saveSnapshot,
  seenOrLiked,
  trending,
} from "./explore.repo";

/*
 * Explore (docs/search.md): a small recommender in the shape of Instagram's published funnel:
 * candidates from three sources, a score, diversification, and the policy and seen filters. Page 1
 * is computed once and stored as a snapshot; later pages read it by position, so the order does
 * not move under the reader. Every page's posts are re-checked against the policy and recorded as
 * seen, so the next page 1 shows new things.
 */

export type ExploreDeps = HydrateDeps & Pick<Platform, "config">;

/** How much each source's (normalised) signal counts. */
export const SOURCE_WEIGHTS = { co_engagement: 1.0, tags: 0.7, trending: 0.5 } as const;
/** Posts a snapshot holds (the pages a session scrolls through). */
const SNAPSHOT_SIZE = 120;
/** Trending looks at posts of the last days. */
const TRENDING_DAYS = 3;
/** Snapshots older than this are dropped by the hourly cron (their cursor then answers 400). */
const SNAPSHOT_TTL_MS = 3_600_000;

type Source = Scored["source"];

/** Each source's signals scaled to [0, 1] by its best one, weighted and summed per post. */
export function combine(sources: Record<Source, Candidate[]>): Map<string, { score: number; source: Source }> {
  const out = new Map<string, { score: number; source: Source; best: number }>();
  for (const [source, list] of Object.entries(sources) as [Source, Candidate[]][]) {
    const max = Math.max(0, ...list.map((c) => c.signal));
    if (max <= 0) continue;
    for (const c of list) {
      const part = (SOURCE_WEIGHTS[source] * c.signal) / max;
      const seen = out.get(c.id);
      if (!seen) out.set(c.id, { score: part, source, best: part });
      else {
        seen.score += part;
        if (part > seen.best) Object.assign(seen, { source, best: part });
      }
    }
  }
  return new Map([...out].map(([id, v]) => [id, { score: v.score, source: v.source }]));
}

/** Explore shows what the caller may see and does not follow yet: not their own, not muted. */
function discoverable(viewerId: string, post: PostWithFacts): boolean {
  const relation = relationFromFacts(viewerId, post.author_id, post);
  return !relation.self && !relation.following && post.muted !== 1 && canSeeContent(relation, post.audience);
}

/** Page 1's order: candidates, score, filters, diversification (the bench measures it alone). */
export async function firstPage(deps: ExploreDeps, viewerId: string): Promise<string[]> {
  const since = idFloor(deps.clock.now().getTime() - TRENDING_DAYS * 24 * 3_600_000);
  const [co, tags, hot] = await Promise.all([
    coEngagement(deps.db, viewerId),
    byTags(deps.db, viewerId),
    trending(deps.db, since),
  ]);
  const scores = combine({ co_engagement: co, tags, trending: hot });
  const facts = await postsWithFacts(deps.db, viewerId, [...scores.keys()]);
  const allowed = facts.filter((p) => discoverable(viewerId, p));
  const seen = await seenOrLiked(
    deps.db,
    viewerId,
    allowed.map((p) => p.id),
  );
  const scored = allowed.flatMap((p) => {
    const s = scores.get(p.id);
    return s && !seen.has(p.id) ? [{ id: p.id, authorId: p.author_id, ...s }] : [];
  });
  return diversify(scored, SNAPSHOT_SIZE).map((c) => c.id);
}

export async function explore(
  deps: ExploreDeps,
  viewerId: string,
  page: { cursor?: string; limit: number },
): Promise<{ items: Post[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const list = `explore:${viewerId}`;
  const now = deps.clock.now();
  let snapshotId: string;
  let offset = 0;
  let ids: string[];
  if (page.cursor !== undefined) {
    const [id, at] = await decodeCursor(secret, list, page.cursor);
    if (typeof id !== "string" || typeof at !== "number" || !Number.isSafeInteger(at) || at < 0) throw invalidCursor();
    const stored = await loadSnapshot(deps.db, id, viewerId);
    if (!stored)
      throw new ApiError("invalid_cursor", "This explore page has expired; start again from the first page.");
    [snapshotId, offset, ids] = [id, at, stored];
  } else {
    ids = await firstPage(deps, viewerId);
    snapshotId = newId(now.getTime());
    await saveSnapshot(deps.db, { id: snapshotId, userId: viewerId, postIds: ids, now: now.toISOString() });
  }
  const slice = ids.slice(offset, offset + page.limit);
  // The policy again: a block, a follow or a deletion since page 1 removes a post from later pages.
  const byId = new Map((await postsWithFacts(deps.db, viewerId, slice)).map((p) => [p.id, p]));
  const rows = slice.flatMap((id) => {
    const post = byId.get(id);
    return post && discoverable(viewerId, post) ? [post] : [];
  });
  await markSeen(
    deps.db,
    viewerId,
    rows.map((r) => r.id),
    now.toISOString(),
  );
  const next = offset + page.limit;
  return {
    items: await hydratePosts(deps, rows, viewerId),
    next_cursor: next < ids.length ? await encodeCursor(secret, list, [snapshotId, next]) : null,
  };
}

/** Hourly: snapshots live an hour. */
export async function pruneExploreSnapshots(deps: Pick<Platform, "db" | "clock">): Promise<void> {
  await deleteSnapshotsBefore(deps.db, new Date(deps.clock.now().getTime() - SNAPSHOT_TTL_MS).toISOString());
}
