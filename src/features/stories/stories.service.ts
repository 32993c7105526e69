import type { z } from "@hono/zod-openapi";
import { cursorPosition, splitPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import { moderationCheck } from "../../platform/jobs";
import {
  canOpenStory,
  canSeeAccountContent,
  canSeeHighlightedStory,
  canSeeInTray,
  canSeeLiveInTray,
  canSeeModerated,
  type ModerationSurface,
  moderationFromFacts,
  relationFromFacts,
} from "../../policy";
import { type ChatDeps, createConversation, sendMessage } from "../chat/chat.service";
import { loadRelation } from "../graph/relations.repo";
import { deliveryUrls } from "../media/media.service";
import { moderationMark } from "../posts/posts.schema";
import { parseUserSummary } from "../users/user-summary";
import { findUserByUsername } from "../users/users.repo";
import {
  archivePage,
  deleteHighlight,
  findHighlight,
  findStory,
  followerChunk,
  followersCount,
  highlightStoryRows,
  highlightsPage,
  insertHighlight,
  insertStory,
  liveStoriesOf,
  ownStoryIds,
  recordView,
  type StoryRow,
  softDeleteStory,
  trayCandidates,
  trayLiveSessions,
  usableMedia,
  viewersPage,
} from "./stories.repo";
import {
  type HighlightPageSchema,
  type HighlightSchema,
  MAX_ACTIVE_STORIES,
  type StoryPageSchema,
  type StorySchema,
  type StoryViewersSchema,
  type TraySchema,
} from "./stories.schema";

export type StoriesDeps = Pick<Platform, "db" | "config" | "clock" | "origin" | "jobs" | "outbox" | "realtime">;

type Story = z.infer<typeof StorySchema>;
type Tray = z.infer<typeof TraySchema>;

/** Trays are told in chunks of this many followers per queue message. */
export const STORY_FANOUT_CHUNK = 1000;
/** DO calls in flight at once while a chunk is delivered. */
const TRAY_CALLS_AT_ONCE = 50;

const noStory = () => notFound("story");

/** One keyset page of a list ordered by a descending id: `fetch` reads `n` rows before a position. */
async function pageBy<R>(
  deps: Pick<StoriesDeps, "config">,
  list: string,
  page: { cursor?: string; limit: number },
  fetch: (before: string | null, n: number) => Promise<R[]>,
  key: (row: R) => string,
): Promise<{ rows: R[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const before = await cursorPosition(secret, list, page.cursor);
  const rows = await fetch(before, page.limit + 1);
  return splitPage(rows, { limit: page.limit, secret, list, key: (r) => [key(r)] });
}

/**
 * The policy's answer for one story row, as the viewer sees it now, on surface `on` (a single read
 * shows a hidden story to its author and, when `staff`, to staff; lists leave it out).
 */
function visible(row: StoryRow, viewerId: string | null, now: string, on: ModerationSurface, staff = false): boolean {
  if (row.deleted_at !== null) return false;
  const relation = relationFromFacts(viewerId, row.author_id, row);
  if (!canSeeModerated({ self: relation.self, staff }, moderationFromFacts(row), on)) return false;
  return canOpenStory(relation, row.audience, row.expires_at <= now);
}

/** Is the story shown in a list (tray, highlights, archive) as far as moderation goes? */
const listed = (row: StoryRow, viewerId: string | null) =>
  canSeeModerated({ self: row.author_id === viewerId, staff: false }, moderationFromFacts(row), "list");

const authorOf = (deps: StoriesDeps, row: StoryRow) => parseUserSummary(deps, row.author);

/**
 * A story for the API. `live`: shown as a live story (not from a highlight or the archive), so
 * someone other than the author gets image URLs that stop working when the story expires.
 */
async function toStory(deps: StoriesDeps, row: StoryRow, viewerId: string | null, live = false): Promise<Story> {
  const notAfter = live && viewerId !== row.author_id ? new Date(row.expires_at) : undefined;
  return {
    id: row.id,
    author: await authorOf(deps, row),
    media: {
      id: row.media_id,
      width: row.width,
      height: row.height,
      thumbhash: row.thumbhash,
      alt_text: row.alt_text,
      urls: await deliveryUrls(deps, { id: row.media_id, owner_id: row.media_owner_id }, notAfter),
    },
    caption: row.caption,
    audience: row.audience,
    created_at: row.created_at,
    expires_at: row.expires_at,
    expired: row.expires_at <= deps.clock.now().toISOString(),
    view_count: viewerId === row.author_id ? row.view_count : null,
    // Non-null only on the single read of a hidden story, which only its author and staff get.
    moderation: moderationMark(row),
  };
}

/** Posts a story of one of the author's ready, unused images; followers' trays are told by queue. */
export async function createStory(
  deps: StoriesDeps,
  authorId: string,
  input: { media_id: string; audience: "followers" | "close_friends"; caption?: string; alt_text?: string },
): Promise<Story> {
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const { written, jobIds } = await insertStory(
    deps.db,
    {
      id,
      authorId,
      mediaId: input.media_id,
      audience: input.audience,
      caption: input.caption ?? "",
      altText: input.alt_text ?? "",
      now: now.toISOString(),
      expiresAt: new Date(now.getTime() + deps.config.storyTtlSeconds * 1000).toISOString(),
      maxActive: MAX_ACTIVE_STORIES,
    },
    deps.outbox,
    // The caption and the image are checked once stored (docs/moderation.md).
    moderationCheck(deps.config, "story", id),
  );
  if (!written) {
    if (!(await usableMedia(deps.db, authorId, input.media_id))) {
      throw new ApiError("validation_failed", "The image must be one of yours, ready, and not used elsewhere.", {
        errors: [{ path: "media_id", message: "Not a ready, unused image of yours" }],
      });
    }
    throw new ApiError("conflict", `At most ${MAX_ACTIVE_STORIES} stories can be up at once.`);
  }
  await deps.outbox.deliver(jobIds);
  const row = await findStory(deps.db, authorId, id);
  if (!row) throw noStory();
  return toStory(deps, row, authorId);
}

/**
 * One chunk of a story's fan-out: tells up to STORY_FANOUT_CHUNK followers' trays (close friends
 * only, for a close-friends story), then queues the next chunk. Authors above the fan-out
 * threshold are skipped: trays pull their stories at read time. Idempotent (trays ignore repeats);
 * a deleted or expired story is skipped (docs/security.md H8).
 */
export async function storyFanout(
  deps: Pick<StoriesDeps, "db" | "config" | "clock" | "jobs" | "realtime">,
  storyId: string,
  after: string | null,
): Promise<void> {
  const story = await findStory(deps.db, null, storyId);
  if (!story || story.deleted_at !== null || story.expires_at <= deps.clock.now().toISOString()) return;
  if ((await followersCount(deps.db, story.author_id)) > deps.config.feed.fanoutMaxFollowers) return;
  const chunk = await followerChunk(deps.db, {
    authorId: story.author_id,
    after,
    closeFriendsOnly: story.audience === "close_friends",
    limit: STORY_FANOUT_CHUNK,
  });
  const entry = {
    storyId: story.id,
    authorId: story.author_id,
    createdAt: story.created_at,
    expiresAt: story.expires_at,
  };
  for (let i = 0; i < chunk.length; i += TRAY_CALLS_AT_ONCE) {
    // A failure throws: the whole chunk is retried, and trays ignore what they already have.
    await Promise.all(chunk.slice(i, i + TRAY_CALLS_AT_ONCE).map((f) => deps.realtime.tray(f.follower_id).add(entry)));
  }
  const last = chunk[chunk.length - 1];
  if (chunk.length === STORY_FANOUT_CHUNK && last) {
    await deps.jobs.send({ type: "story.fanout", story_id: storyId, after: last.edge_id });
  }
}

/**
 * The tray: the viewer's own entry first, then live accounts, then followed accounts with live
 * stories, unseen first, then most recent. Candidates come from the viewer's StoryTray (pushed)
 * and from followed accounts above the fan-out threshold (pulled); all are re-checked against D1
 * in the same query (deleted, expired, blocked, muted, unfollowed, no longer a close friend). The
 * live flags are read from D1 too, in one query: a followed account live now in a session the
 * viewer may see is flagged, and appears with no story at all (docs/architecture.md, Stories).
 */
export async function tray(deps: StoriesDeps, viewerId: string): Promise<Tray> {
  const snapshot = await deps.realtime.tray(viewerId).snapshot();
  const now = deps.clock.now().toISOString();
  const [rows, sessions] = await Promise.all([
    trayCandidates(deps.db, {
      viewerId,
      pushedIds: snapshot.stories.map((s) => s.storyId),
      now,
      fanoutMaxFollowers: deps.config.feed.fanoutMaxFollowers,
    }),
    trayLiveSessions(deps.db, viewerId),
  ]);
  const seen = new Set(snapshot.seen);
  type Entry = { authorId: string; user: string; count: number; latest: string; unseen: boolean; live: boolean };
  const byAuthor = new Map<string, Entry>();
  for (const row of rows) {
    if (!canSeeInTray(relationFromFacts(viewerId, row.author_id, row), row.audience, row.muted === 1)) continue;
    if (!listed(row, viewerId)) continue;
    const entry = byAuthor.get(row.author_id) ?? {
      authorId: row.author_id,
      user: row.author,
      count: 0,
      latest: "",
      unseen: false,
      live: false,
    };
    entry.count++;
    if (row.created_at > entry.latest) entry.latest = row.created_at;
    if (!seen.has(row.id)) entry.unseen = true;
    byAuthor.set(row.author_id, entry);
  }
  for (const s of sessions) {
    if (!canSeeLiveInTray(relationFromFacts(viewerId, s.host_id, s), s.audience, s.muted === 1)) continue;
    const entry = byAuthor.get(s.host_id);
    if (entry) entry.live = true;
    // A followed host without a story up still gets an entry; the viewer's own only with a story.
    else if (s.host_id !== viewerId) {
      byAuthor.set(s.host_id, {
        authorId: s.host_id,
        user: s.host,
        count: 0,
        latest: s.started_at,
        unseen: false,
        live: true,
      });
    }
  }
  const rank = (e: Entry) => (e.authorId === viewerId ? 2 : e.live ? 1 : 0);
  const entries = [...byAuthor.values()].sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (a.unseen !== b.unseen) return a.unseen ? -1 : 1;
    return a.latest < b.latest ? 1 : a.latest > b.latest ? -1 : 0;
  });
  return {
    items: await Promise.all(
      entries.map(async (e) => ({
        user: await parseUserSummary(deps, e.user),
        has_unseen: e.unseen,
        latest_at: e.latest,
        story_count: e.count,
        live: e.live,
      })),
    ),
  };
}

/** An account's live stories, oldest first; 404 where the policy hides the account's content. */
export async function storiesOf(deps: StoriesDeps, viewerId: string | null, username: string) {
  const owner = await findUserByUsername(deps.db, username);
  if (!owner || !canSeeAccountContent(await loadRelation(deps.db, viewerId, owner))) throw notFound("user");
  const now = deps.clock.now().toISOString();
  const rows = (await liveStoriesOf(deps.db, viewerId, owner.id, now)).filter((r) => visible(r, viewerId, now, "list"));
  return { items: await Promise.all(rows.map((r) => toStory(deps, r, viewerId, true))) };
}

/**
 * A story the viewer may see now (the author also after expiry), or 404. Hidden: its author's, and
 * staff's when `staff` (the single read only; viewing and replying are not staff's business).
 */
async function visibleStory(deps: StoriesDeps, viewerId: string, storyId: string, staff = false): Promise<StoryRow> {
  const row = await findStory(deps.db, viewerId, storyId);
  if (!row || !visible(row, viewerId, deps.clock.now().toISOString(), "read", staff)) throw noStory();
  return row;
}

export async function getStory(deps: StoriesDeps, viewerId: string, storyId: string, staff = false): Promise<Story> {
  return toStory(deps, await visibleStory(deps, viewerId, storyId, staff), viewerId, true);
}

/** Records a view once per viewer and marks the story seen in the viewer's tray. */
export async function viewStory(deps: StoriesDeps, viewerId: string, storyId: string): Promise<void> {
  const row = await visibleStory(deps, viewerId, storyId);
  if (row.author_id === viewerId) return;
  const now = deps.clock.now();
  await recordView(deps.db, { storyId, viewerId, id: newId(now.getTime()), now: now.toISOString() });
  await deps.realtime.tray(viewerId).markSeen(storyId, row.expires_at);
}

export async function storyViewers(
  deps: StoriesDeps,
  authorId: string,
  storyId: string,
  page: { cursor?: string; limit: number },
): Promise<z.infer<typeof StoryViewersSchema>> {
  const row = await findStory(deps.db, authorId, storyId);
  if (!row || row.author_id !== authorId || row.deleted_at !== null) throw noStory();
  const { rows, next_cursor } = await pageBy(
    deps,
    `story-viewers:${storyId}`,
    page,
    (before, n) => viewersPage(deps.db, storyId, before, n),
    (r) => r.view_id,
  );
  return {
    items: await Promise.all(
      rows.map(async (r) => ({ ...(await parseUserSummary(deps, r.user)), viewed_at: r.viewed_at })),
    ),
    next_cursor,
    view_count: row.view_count,
  };
}

export async function deleteStory(deps: StoriesDeps, authorId: string, storyId: string): Promise<void> {
  if (!(await softDeleteStory(deps.db, authorId, storyId, deps.clock.now().toISOString()))) throw noStory();
}

/** The author's own stories, live and expired, newest first. */
export async function archive(
  deps: StoriesDeps,
  authorId: string,
  page: { cursor?: string; limit: number },
): Promise<z.infer<typeof StoryPageSchema>> {
  const { rows, next_cursor } = await pageBy(
    deps,
    `story-archive:${authorId}`,
    page,
    (before, n) => archivePage(deps.db, authorId, before, n),
    (r) => r.id,
  );
  return {
    items: await Promise.all(rows.filter((r) => listed(r, authorId)).map((r) => toStory(deps, r, authorId))),
    next_cursor,
  };
}

// ---- highlights ----

export async function createHighlight(
  deps: StoriesDeps,
  ownerId: string,
  input: { title: string; story_ids: string[] },
): Promise<z.infer<typeof HighlightSchema>> {
  const ids = [...new Set(input.story_ids)];
  const own = await ownStoryIds(deps.db, ownerId, ids);
  const foreign = ids.filter((id) => !own.has(id));
  if (foreign.length > 0) {
    throw new ApiError("validation_failed", "A highlight holds your own stories only.", {
      errors: foreign.map((id) => ({ path: "story_ids", message: `Not one of your stories: ${id}` })),
    });
  }
  const now = deps.clock.now();
  const id = newId(now.getTime());
  await insertHighlight(deps.db, { id, ownerId, title: input.title, now: now.toISOString(), storyIds: ids });
  const [highlight] = await withStories(deps, ownerId, [
    { id, owner_id: ownerId, title: input.title, created_at: now.toISOString() },
  ]);
  if (!highlight) throw notFound("highlight");
  return highlight;
}

/** An account's highlights, each with the stories the viewer may see (empty ones left out). */
export async function highlightsOf(
  deps: StoriesDeps,
  viewerId: string | null,
  username: string,
  page: { cursor?: string; limit: number },
): Promise<z.infer<typeof HighlightPageSchema>> {
  const owner = await findUserByUsername(deps.db, username);
  if (!owner || !canSeeAccountContent(await loadRelation(deps.db, viewerId, owner))) throw notFound("user");
  const { rows, next_cursor } = await pageBy(
    deps,
    `highlights:${owner.id}`,
    page,
    (before, n) => highlightsPage(deps.db, owner.id, before, n),
    (r) => r.id,
  );
  return { items: await withStories(deps, viewerId, rows), next_cursor };
}

async function withStories(
  deps: StoriesDeps,
  viewerId: string | null,
  highlights: { id: string; owner_id: string; title: string; created_at: string }[],
): Promise<z.infer<typeof HighlightSchema>[]> {
  if (highlights.length === 0) return [];
  const rows = await highlightStoryRows(
    deps.db,
    viewerId,
    highlights.map((h) => h.id),
  );
  const out = [];
  for (const h of highlights) {
    // Archived stories are shown here past their expiry, to whoever the audience allows.
    const mine = rows.filter((r) => {
      if (r.highlight_id !== h.id || !listed(r, viewerId)) return false;
      return canSeeHighlightedStory(relationFromFacts(viewerId, r.author_id, r), r.audience);
    });
    if (mine.length === 0 && viewerId !== h.owner_id) continue;
    out.push({
      id: h.id,
      title: h.title,
      stories: await Promise.all(mine.map((r) => toStory(deps, r, viewerId))),
      created_at: h.created_at,
    });
  }
  return out;
}

export async function removeHighlight(deps: StoriesDeps, ownerId: string, id: string): Promise<void> {
  const highlight = await findHighlight(deps.db, id);
  if (!highlight || highlight.owner_id !== ownerId) throw notFound("highlight");
  await deleteHighlight(deps.db, id);
}

// ---- replies ----

/** A reply goes into the 1:1 with the author (started if need be), referencing the story. */
export async function replyToStory(
  deps: StoriesDeps & ChatDeps,
  viewerId: string,
  storyId: string,
  input: { body: string; client_id?: string },
) {
  const row = await visibleStory(deps, viewerId, storyId);
  if (row.author_id === viewerId) throw new ApiError("conflict", "You cannot reply to your own story.");
  if (row.expires_at <= deps.clock.now().toISOString()) throw noStory();
  const { conversation } = await createConversation(deps, viewerId, {
    usernames: [(await authorOf(deps, row)).username],
  });
  const { message, duplicate } = await sendMessage(
    deps,
    viewerId,
    conversation.id,
    { body: input.body, client_id: input.client_id ?? crypto.randomUUID() },
    storyId,
  );
  return { conversation_id: conversation.id, message, duplicate };
}
