import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import {
  follows,
  highlightStories,
  highlights,
  liveSessions,
  media,
  stories,
  storyViews,
  users,
} from "../../db/schema";
import { columnNames, type Db, idAfter, idBefore, inList } from "../../platform/db";
import type { Job } from "../../platform/jobs";
import type { Outbox } from "../../platform/outbox";
import { accountShownSql, closeFriendSql, mutesSql, type RelationFacts, relationFactsSql } from "../../policy";
import { userSummaryJson } from "../users/user-summary";

type Story = typeof stories.$inferSelect;
type Media = typeof media.$inferSelect;

/** A story with its author, its image and the facts the policy needs about (viewer, author). */
export type StoryRow = Pick<
  Story,
  | "id"
  | "author_id"
  | "audience"
  | "caption"
  | "alt_text"
  | "view_count"
  | "created_at"
  | "expires_at"
  | "deleted_at"
  | "hidden_at"
  | "hidden_reason"
> &
  Pick<Media, "width" | "height" | "thumbhash"> & {
    media_id: Media["id"];
    media_owner_id: Media["owner_id"];
    muted: number;
    /** The author (`userSummaryJson`). */
    author: string;
  } & RelationFacts;

/** `s` the story, `u` its author, `m` its image. */
const s = alias(stories, "s");
const u = alias(users, "u");
const m = alias(media, "m");

/** The columns of a `StoryRow`, with the facts about (`viewer` or '', the author). */
const storyColumns = (viewerId: string | null) => {
  const viewer = viewerId ?? "";
  return sql`${s.id}, ${s.author_id}, ${s.audience}, ${s.caption}, ${s.alt_text}, ${s.view_count}, ${s.created_at}, ${s.expires_at}, ${s.deleted_at},
    ${s.hidden_at}, ${s.hidden_reason},
    ${userSummaryJson(u)} AS author,
    ${m.id} AS media_id, ${m.owner_id} AS media_owner_id, ${m.width}, ${m.height}, ${m.thumbhash},
    ${relationFactsSql(viewer, s.author_id, u.is_private, u)},
    ${mutesSql(viewer, s.author_id)} AS muted`;
};
/** The author and the image joined to the story `s`. */
const storyJoins = sql`JOIN ${users} ${u} ON ${u.id} = ${s.author_id} JOIN ${media} ${m} ON ${m.id} = ${s.media_id}`;
const storyFrom = sql`${stories} ${s} ${storyJoins}`;

export interface NewStory {
  id: string;
  authorId: string;
  mediaId: string;
  audience: Story["audience"];
  caption: string;
  altText: string;
  now: string;
  expiresAt: string;
  maxActive: number;
}

/** The image is the author's, ready, and not used by anything yet. */
const usableMediaSql = (mediaId: string, authorId: string) =>
  sql`${media.id} = ${mediaId} AND ${media.owner_id} = ${authorId} AND ${media.status} = 'ready' AND ${media.attached_at} IS NULL`;

/**
 * One batch: the story, only if the image is the author's, ready and unused and the author has
 * fewer than `maxActive` live stories; then the image marked used, only if that insert happened.
 * Answers whether the story was written.
 */
/**
 * The story (if the image is usable and the author under the limit), its image claimed, and its
 * jobs (the fan-out, and `more`), in one batch.
 */
export async function insertStory(
  db: Db,
  n: NewStory,
  outbox: Outbox,
  more: Job[] = [],
): Promise<{ written: boolean; jobIds: string[] }> {
  const fanout = outbox.stage(
    [{ type: "story.fanout", story_id: n.id, after: null }, ...more],
    sql`EXISTS (SELECT 1 FROM ${stories} WHERE ${stories.id} = ${n.id})`,
  );
  const [inserted] = await db.batch([
    db.run(
      sql`INSERT INTO ${stories} (${columnNames(stories.id, stories.author_id, stories.media_id, stories.audience, stories.caption, stories.alt_text, stories.created_at, stories.expires_at)})
          SELECT ${n.id}, ${n.authorId}, ${n.mediaId}, ${n.audience}, ${n.caption}, ${n.altText}, ${n.now}, ${n.expiresAt}
          WHERE EXISTS (SELECT 1 FROM ${media} WHERE ${usableMediaSql(n.mediaId, n.authorId)})
            AND (SELECT COUNT(*) FROM ${stories}
                 WHERE ${stories.author_id} = ${n.authorId} AND ${stories.deleted_at} IS NULL AND ${stories.expires_at} > ${n.now}) < ${n.maxActive}`,
    ),
    db
      .update(media)
      .set({ attached_at: n.now })
      .where(sql`${media.id} = ${n.mediaId} AND EXISTS (SELECT 1 FROM ${stories} WHERE ${stories.id} = ${n.id})`),
    fanout.statement,
  ]);
  return inserted.meta.changes > 0 ? { written: true, jobIds: fanout.ids } : { written: false, jobIds: [] };
}

/** Why an insert did not happen: the image, or the limit. */
export async function usableMedia(db: Db, authorId: string, mediaId: string): Promise<boolean> {
  const row = await db.select({ ok: sql`1` }).from(media).where(usableMediaSql(mediaId, authorId)).get();
  return row !== undefined;
}

export async function findStory(db: Db, viewerId: string | null, storyId: string): Promise<StoryRow | null> {
  const row = await db.get<StoryRow | undefined>(
    sql`SELECT ${storyColumns(viewerId)} FROM ${storyFrom} WHERE ${s.id} = ${storyId}`,
  );
  return row ?? null;
}

/** An author's live stories, oldest first. */
export async function liveStoriesOf(
  db: Db,
  viewerId: string | null,
  authorId: string,
  now: string,
): Promise<StoryRow[]> {
  return db.all<StoryRow>(
    sql`SELECT ${storyColumns(viewerId)} FROM ${storyFrom}
        WHERE ${s.author_id} = ${authorId} AND ${s.deleted_at} IS NULL AND ${s.expires_at} > ${now} ORDER BY ${s.id}`,
  );
}

/**
 * The tray's candidates in one query: the stories the viewer's StoryTray was told about, the live
 * stories of followed accounts above the fan-out threshold (pulled, never pushed), and the
 * viewer's own live stories; each with the author and the policy facts, deleted and expired
 * stories left out.
 */
export async function trayCandidates(
  db: Db,
  args: { viewerId: string; pushedIds: string[]; now: string; fanoutMaxFollowers: number },
): Promise<StoryRow[]> {
  const { viewerId, now } = args;
  const f = alias(follows, "f");
  const a = alias(users, "a");
  return db.all<StoryRow>(
    sql`WITH candidates AS (
          SELECT value AS candidate_id FROM json_each(${JSON.stringify(args.pushedIds)})
          UNION
          SELECT ${s.id} FROM ${follows} ${f}
            JOIN ${users} ${a} ON ${a.id} = ${f.followee_id} AND ${a.followers_count} > ${args.fanoutMaxFollowers}
            JOIN ${stories} ${s} ON ${s.author_id} = ${f.followee_id} AND ${s.deleted_at} IS NULL AND ${s.expires_at} > ${now}
          WHERE ${f.follower_id} = ${viewerId}
          UNION
          SELECT ${s.id} FROM ${stories} ${s} WHERE ${s.author_id} = ${viewerId} AND ${s.deleted_at} IS NULL AND ${s.expires_at} > ${now}
        )
        SELECT ${storyColumns(viewerId)} FROM candidates c JOIN ${stories} ${s} ON ${s.id} = c.candidate_id ${storyJoins}
        WHERE ${s.deleted_at} IS NULL AND ${s.expires_at} > ${now}`,
  );
}

/** A session live now, with its host and the policy facts about (viewer, host). */
export type TrayLiveRow = Pick<typeof liveSessions.$inferSelect, "host_id" | "audience"> & {
  started_at: string;
  /** The host (`userSummaryJson`). */
  host: string;
  muted: number;
} & RelationFacts;

/**
 * The tray's live flags in one query: sessions live now of the accounts the viewer follows and of
 * the viewer, through the partial index on live sessions; the policy is applied by the caller.
 */
export async function trayLiveSessions(db: Db, viewerId: string): Promise<TrayLiveRow[]> {
  const l = alias(liveSessions, "l");
  const f = alias(follows, "f");
  return db.all<TrayLiveRow>(
    sql`SELECT ${l.host_id} AS host_id, ${l.audience} AS audience, COALESCE(${l.started_at}, ${l.created_at}) AS started_at,
          ${userSummaryJson(u)} AS host,
          ${relationFactsSql(viewerId, l.host_id, u.is_private, u)},
          ${mutesSql(viewerId, l.host_id)} AS muted
        FROM ${liveSessions} ${l} JOIN ${users} ${u} ON ${u.id} = ${l.host_id}
        WHERE ${l.status} = 'live' AND ${l.host_id} IN (
          SELECT ${f.followee_id} FROM ${follows} ${f} WHERE ${f.follower_id} = ${viewerId} UNION SELECT ${viewerId})`,
  );
}

/** The author's stories for the archive, newest first, expired ones included. */
export async function archivePage(db: Db, authorId: string, before: string | null, limit: number): Promise<StoryRow[]> {
  return db.all<StoryRow>(
    sql`SELECT ${storyColumns(authorId)} FROM ${storyFrom}
        WHERE ${s.author_id} = ${authorId} AND ${s.deleted_at} IS NULL AND ${idBefore(s.id, before)}
        ORDER BY ${s.id} DESC LIMIT ${limit}`,
  );
}

export async function softDeleteStory(db: Db, authorId: string, storyId: string, now: string): Promise<boolean> {
  const result = await db
    .update(stories)
    .set({ deleted_at: now })
    .where(and(eq(stories.id, storyId), eq(stories.author_id, authorId), isNull(stories.deleted_at)));
  return result.meta.changes > 0;
}

/**
 * A view, once per viewer: the row and the counter in one batch, the counter moving only when
 * this call's row (by its new id) is the one stored, so repeats and races count once.
 */
export async function recordView(db: Db, v: { storyId: string; viewerId: string; id: string; now: string }) {
  await db.batch([
    db.run(
      sql`INSERT OR IGNORE INTO ${storyViews} (${columnNames(storyViews.story_id, storyViews.viewer_id, storyViews.id, storyViews.viewed_at)})
          VALUES (${v.storyId}, ${v.viewerId}, ${v.id}, ${v.now})`,
    ),
    db
      .update(stories)
      .set({ view_count: sql`${stories.view_count} + 1` })
      .where(
        sql`${stories.id} = ${v.storyId} AND EXISTS (SELECT 1 FROM ${storyViews}
              WHERE ${storyViews.story_id} = ${v.storyId} AND ${storyViews.viewer_id} = ${v.viewerId} AND ${storyViews.id} = ${v.id})`,
      ),
  ]);
}

type StoryView = typeof storyViews.$inferSelect;

/** A viewer of a story: when, and who. */
export type ViewerRow = { view_id: StoryView["id"]; viewed_at: StoryView["viewed_at"]; user: string };

export async function viewersPage(db: Db, storyId: string, before: string | null, limit: number): Promise<ViewerRow[]> {
  const v = alias(storyViews, "v");
  return db.all<ViewerRow>(
    sql`SELECT ${v.id} AS view_id, ${v.viewed_at}, ${userSummaryJson(u)} AS user
        FROM ${storyViews} ${v} JOIN ${users} ${u} ON ${u.id} = ${v.viewer_id}
          -- Suspended viewers are left out; the reader is the author, never one of the viewers.
          AND ${accountShownSql("", u)}
        WHERE ${v.story_id} = ${storyId} AND ${idBefore(v.id, before)} ORDER BY ${v.id} DESC LIMIT ${limit}`,
  );
}

// ---- fan-out ----

/** Followers of the author after the edge `after` (close friends among them only, if asked). */
export async function followerChunk(
  db: Db,
  args: { authorId: string; after: string | null; closeFriendsOnly: boolean; limit: number },
) {
  return db
    .select({ follower_id: follows.follower_id, edge_id: follows.id })
    .from(follows)
    .where(
      and(
        eq(follows.followee_id, args.authorId),
        idAfter(follows.id, args.after),
        sql`(${args.closeFriendsOnly ? 1 : 0} = 0 OR ${closeFriendSql(args.authorId, follows.follower_id)})`,
      ),
    )
    .orderBy(follows.id)
    .limit(args.limit);
}

export async function followersCount(db: Db, userId: string): Promise<number> {
  const row = await db.select({ followers_count: users.followers_count }).from(users).where(eq(users.id, userId)).get();
  return row?.followers_count ?? 0;
}

// ---- highlights ----

/** Which of these ids are the owner's own, undeleted stories. */
export async function ownStoryIds(db: Db, ownerId: string, ids: string[]): Promise<Set<string>> {
  const rows = await db
    .select({ id: stories.id })
    .from(stories)
    .where(and(eq(stories.author_id, ownerId), isNull(stories.deleted_at), sql`${stories.id} IN ${inList(ids)}`));
  return new Set(rows.map((r) => r.id));
}

export async function insertHighlight(
  db: Db,
  h: { id: string; ownerId: string; title: string; now: string; storyIds: string[] },
): Promise<void> {
  await db.batch([
    db.insert(highlights).values({ id: h.id, owner_id: h.ownerId, title: h.title, created_at: h.now }),
    db.run(
      sql`INSERT INTO ${highlightStories} (${columnNames(highlightStories.highlight_id, highlightStories.position, highlightStories.story_id)})
          SELECT ${h.id}, key, value FROM json_each(${JSON.stringify(h.storyIds)})`,
    ),
  ]);
}

export type HighlightRow = typeof highlights.$inferSelect;

export async function highlightsPage(
  db: Db,
  ownerId: string,
  before: string | null,
  limit: number,
): Promise<HighlightRow[]> {
  return db
    .select()
    .from(highlights)
    .where(and(eq(highlights.owner_id, ownerId), idBefore(highlights.id, before)))
    .orderBy(desc(highlights.id))
    .limit(limit);
}

/** The stories of these highlights, in highlight order, deleted ones left out. */
export async function highlightStoryRows(db: Db, viewerId: string | null, highlightIds: string[]) {
  const hs = alias(highlightStories, "hs");
  return db.all<StoryRow & Pick<typeof highlightStories.$inferSelect, "highlight_id">>(
    sql`SELECT ${hs.highlight_id}, ${storyColumns(viewerId)}
        FROM ${highlightStories} ${hs} JOIN ${stories} ${s} ON ${s.id} = ${hs.story_id} ${storyJoins}
        WHERE ${hs.highlight_id} IN ${inList(highlightIds)} AND ${s.deleted_at} IS NULL
        ORDER BY ${hs.highlight_id}, ${hs.position}`,
  );
}

export async function findHighlight(db: Db, id: string): Promise<HighlightRow | null> {
  return (await db.select().from(highlights).where(eq(highlights.id, id)).get()) ?? null;
}

export async function deleteHighlight(db: Db, id: string): Promise<void> {
  await db.batch([
    db.delete(highlightStories).where(eq(highlightStories.highlight_id, id)),
    db.delete(highlights).where(eq(highlights.id, id)),
  ]);
}
