import { and, desc, eq, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { alias, type BuildAliasTable } from "drizzle-orm/sqlite-core";
import {
  comments,
  follows,
  liveSessions,
  media,
  type NotificationType,
  notificationGroups,
  notificationMarkers,
  notificationSettings,
  notifications,
  postMedia,
  postMentions,
  posts,
  users,
} from "../../db/schema";
import { columnNames, type Db, idAfter, idBefore, inList } from "../../platform/db";
import {
  accountGoneSql,
  accountShownSql,
  blockedEitherWaySql,
  closeFriendSql,
  contentShownSql,
  followsSql,
  mutesSql,
  type RelationFacts,
  relationFactsSql,
} from "../../policy";
import { userSummaryJson } from "../users/user-summary";

/*
 * Notifications and their groups move together: the batch that inserts a notification counts it
 * in its group only if the insert won (the row with this call's new id exists), and a removal
 * recounts the groups it touches before deleting rows, then drops the groups left empty. So a
 * group's `count` and `latest_id` always describe the rows that exist (docs/notifications.md).
 */

type Stmt = BatchItem<"sqlite">;
type NotificationsAlias = BuildAliasTable<typeof notifications, string>;

export type Folder = "main" | "filtered";

export interface NewNotification {
  id: string;
  recipientId: string;
  type: NotificationType;
  actorId: string | null;
  postId: string | null;
  commentId: string | null;
  liveId: string | null;
  text: string | null;
  groupKey: string;
  prefix: string;
  bucket: number;
  folder: Folder;
  dedupeKey: string;
  createdAt: string;
}

/** The newest group of this kind (`prefix`) the recipient has: the one a new notification may join. */
export async function newestBucket(db: Db, recipientId: string, prefix: string): Promise<number | null> {
  const row = await db
    .select({ bucket: notificationGroups.bucket })
    .from(notificationGroups)
    .where(and(eq(notificationGroups.recipient_id, recipientId), eq(notificationGroups.prefix, prefix)))
    .orderBy(desc(notificationGroups.bucket))
    .limit(1)
    .get();
  return row?.bucket ?? null;
}

/**
 * What the consumer checked, re-checked by the insert itself: a block, a post deletion or a
 * comment deletion that lands between the consumer's checks and its write (D1 runs one batch at a
 * time) leaves no notification behind, as the removal in that write's batch found none to remove.
 */
function stillHolds(n: Pick<NewNotification, "recipientId" | "actorId" | "postId" | "commentId" | "liveId">): SQL {
  const actor = n.actorId === null ? sql`1` : sql`NOT ${blockedEitherWaySql(n.recipientId, n.actorId)}`;
  const post =
    n.postId === null
      ? sql`1`
      : sql`EXISTS (SELECT 1 FROM ${posts} WHERE ${posts.id} = ${n.postId} AND ${posts.deleted_at} IS NULL)`;
  const comment =
    n.commentId === null ? sql`1` : sql`EXISTS (SELECT 1 FROM ${comments} WHERE ${comments.id} = ${n.commentId})`;
  // A session that ended meanwhile tells nobody more (docs/notifications.md).
  const live =
    n.liveId === null
      ? sql`1`
      : sql`EXISTS (SELECT 1 FROM ${liveSessions} WHERE ${liveSessions.id} = ${n.liveId} AND ${liveSessions.status} = 'live')`;
  return sql`${actor} AND ${post} AND ${comment} AND ${live}`;
}

/** Inserts the notification unless its dedupe key exists, and counts it in its group if it did. */
export async function insertNotification(db: Db, n: NewNotification): Promise<void> {
  const g = notificationGroups;
  await db.batch([
    db.run(
      sql`INSERT OR IGNORE INTO ${notifications} (${columnNames(
        notifications.id,
        notifications.recipient_id,
        notifications.type,
        notifications.actor_id,
        notifications.post_id,
        notifications.comment_id,
        notifications.live_id,
        notifications.text,
        notifications.group_key,
        notifications.folder,
        notifications.dedupe_key,
        notifications.created_at,
      )}) SELECT ${n.id}, ${n.recipientId}, ${n.type}, ${n.actorId}, ${n.postId}, ${n.commentId}, ${n.liveId}, ${n.text},
          ${n.groupKey}, ${n.folder}, ${n.dedupeKey}, ${n.createdAt}
        WHERE ${stillHolds(n)}`,
    ),
    db.run(
      sql`INSERT INTO ${g} (${columnNames(g.recipient_id, g.group_key, g.folder, g.type, g.prefix, g.bucket, g.post_id, g.comment_id, g.live_id, g.count, g.latest_id, g.latest_at)})
          SELECT ${n.recipientId}, ${n.groupKey}, ${n.folder}, ${n.type}, ${n.prefix}, ${n.bucket}, ${n.postId}, ${n.commentId}, ${n.liveId}, 1, ${n.id}, ${n.createdAt}
          WHERE EXISTS (SELECT 1 FROM ${notifications} WHERE ${notifications.id} = ${n.id})
          ON CONFLICT (${columnNames(g.recipient_id, g.group_key)}) DO UPDATE SET
            ${columnNames(g.count)} = ${g.count} + 1,
            ${columnNames(g.latest_id)} = max(${g.latest_id}, excluded.${columnNames(g.latest_id)}),
            ${columnNames(g.latest_at)} = max(${g.latest_at}, excluded.${columnNames(g.latest_at)})`,
    ),
  ]);
}

/** The stored notification for this recipient and dedupe key (this call's, or an earlier delivery's). */
export async function findByDedupe(db: Db, recipientId: string, dedupeKey: string) {
  return db
    .select({
      id: notifications.id,
      folder: notifications.folder,
      group_key: notifications.group_key,
      delivered_at: notifications.delivered_at,
    })
    .from(notifications)
    .where(and(eq(notifications.recipient_id, recipientId), eq(notifications.dedupe_key, dedupeKey)))
    .get();
}

export async function markDelivered(db: Db, id: string, now: string): Promise<void> {
  await db.update(notifications).set({ delivered_at: now }).where(eq(notifications.id, id));
}

export async function findNotification(db: Db, id: string) {
  return db.select().from(notifications).where(eq(notifications.id, id)).get();
}

/**
 * Statements that delete the notifications `doomed` selects and keep their groups exact, for the
 * batch of the write that makes them obsolete (a deleted post or comment, a block).
 */
export function removalStatements(db: Db, doomed: (n: NotificationsAlias) => SQL): Stmt[] {
  const g = notificationGroups;
  const n = alias(notifications, "n");
  const sameGroup = sql`${n.recipient_id} = ${g.recipient_id} AND ${n.group_key} = ${g.group_key}`;
  const touched = sql`SELECT ${n.recipient_id}, ${n.group_key} FROM ${notifications} ${n} WHERE ${doomed(n)}`;
  return [
    db.run(
      sql`UPDATE ${g} SET
            ${columnNames(g.count)} = ${g.count} - (SELECT COUNT(*) FROM ${notifications} ${n} WHERE ${sameGroup} AND ${doomed(n)}),
            ${columnNames(g.latest_id)} = COALESCE((SELECT MAX(${n.id}) FROM ${notifications} ${n} WHERE ${sameGroup} AND NOT ${doomed(n)}), ${g.latest_id}),
            ${columnNames(g.latest_at)} = COALESCE((SELECT MAX(${n.created_at}) FROM ${notifications} ${n} WHERE ${sameGroup} AND NOT ${doomed(n)}), ${g.latest_at})
          WHERE (${g.recipient_id}, ${g.group_key}) IN (${touched})`,
    ),
    db.run(
      sql`DELETE FROM ${notifications} WHERE ${notifications.id} IN (SELECT ${n.id} FROM ${notifications} ${n} WHERE ${doomed(n)})`,
    ),
    db.run(sql`DELETE FROM ${g} WHERE ${g.count} <= 0`),
  ];
}

/** Notifications about a post (likes, comments on it, mentions in its caption or comments). */
export const aboutPost =
  (postId: string) =>
  (n: NotificationsAlias): SQL =>
    sql`${n.post_id} = ${postId}`;

/** Notifications about a comment and its replies (run before the comments are deleted). */
export const aboutCommentThread =
  (commentId: string) =>
  (n: NotificationsAlias): SQL =>
    sql`${n.comment_id} IN (SELECT ${comments.id} FROM ${comments} WHERE ${comments.id} = ${commentId} OR ${comments.parent_id} = ${commentId})`;

/** Notifications either account caused the other. */
export const betweenPair =
  (a: string, b: string) =>
  (n: NotificationsAlias): SQL =>
    sql`((${n.actor_id} = ${a} AND ${n.recipient_id} = ${b}) OR (${n.actor_id} = ${b} AND ${n.recipient_id} = ${a}))`;

/** A group as a list shows it, before its post is checked and its URLs signed. */
export interface GroupRow {
  group_key: string;
  type: NotificationType;
  count: number;
  latest_id: string;
  latest_at: string;
  post_id: string | null;
  comment_id: string | null;
  live_id: string | null;
  /** JSON array of `userSummaryJson`, newest first, at most 3; suspended accounts left out. */
  actors: string;
  /** 1 when moderation withholds the group from the recipient (`withheldByModerationSql`). */
  withheld: number;
  text: string | null;
  excerpt: string | null;
}

const ACTORS_SHOWN = 3;

/** The columns of `notification_groups` (or an alias of it) the moderation check reads. */
type GroupsTable = { [K in "recipient_id" | "group_key" | "type" | "post_id" | "comment_id"]: SQLWrapper };

/**
 * The group is withheld by moderation from its recipient (a PK probe or two per group): its post
 * or comment is hidden or by a suspended account, or it had actors and every one is suspended.
 * Never a `moderation` or `system` group: staff telling an author about their hidden post must
 * reach them. The list and the unread count both ask this, so the badge never counts a group the
 * list leaves out.
 */
export function withheldByModerationSql(recipientId: string, g: GroupsTable): SQL {
  const p = alias(posts, "mp");
  const pu = alias(users, "mpu");
  const c = alias(comments, "mc");
  const cu = alias(users, "mcu");
  const n = alias(notifications, "mn");
  const u = alias(users, "mu");
  return sql`(${g.type} NOT IN ('moderation', 'system') AND (EXISTS (SELECT 1 FROM ${posts} ${p} JOIN ${users} ${pu} ON ${pu.id} = ${p.author_id}
              WHERE ${p.id} = ${g.post_id} AND NOT ${contentShownSql(recipientId, p, pu, "list")})
    OR EXISTS (SELECT 1 FROM ${comments} ${c} JOIN ${users} ${cu} ON ${cu.id} = ${c.author_id}
              WHERE ${c.id} = ${g.comment_id} AND NOT ${contentShownSql(recipientId, c, cu, "list")})
    OR (EXISTS (SELECT 1 FROM ${notifications} ${n} WHERE ${n.recipient_id} = ${g.recipient_id}
                AND ${n.group_key} = ${g.group_key} AND ${n.actor_id} IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM ${notifications} ${n} JOIN ${users} ${u} ON ${u.id} = ${n.actor_id}
                AND ${accountShownSql(recipientId, u)}
                WHERE ${n.recipient_id} = ${g.recipient_id} AND ${n.group_key} = ${g.group_key}))))`;
}

/** A page of groups, newest activity first (`latest_id` descending); or the one group `groupKey`. */
export async function groupsPage(
  db: Db,
  args: {
    recipientId: string;
    folder: Folder;
    types: NotificationType[] | null;
    before: string | null;
    limit: number;
    groupKey?: string;
  },
): Promise<GroupRow[]> {
  const g = alias(notificationGroups, "g");
  const n = alias(notifications, "n");
  const latest = alias(notifications, "l");
  const u = alias(users, "u");
  const c = alias(comments, "c");
  const types = args.types === null ? sql`1` : sql`${g.type} IN ${inList(args.types)}`;
  const one = args.groupKey === undefined ? sql`1` : sql`${g.group_key} = ${args.groupKey}`;
  return db.all<GroupRow>(
    sql`SELECT ${g.group_key} AS group_key, ${g.type} AS type, ${g.count} AS count, ${g.latest_id} AS latest_id,
          ${g.latest_at} AS latest_at, ${g.post_id} AS post_id, ${g.comment_id} AS comment_id,
          ${g.live_id} AS live_id,
          (SELECT json_group_array(json(summary)) FROM (
             SELECT ${userSummaryJson(u)} AS summary FROM ${notifications} ${n} JOIN ${users} ${u} ON ${u.id} = ${n.actor_id}
               AND ${accountShownSql(args.recipientId, u)}
             WHERE ${n.recipient_id} = ${g.recipient_id} AND ${n.group_key} = ${g.group_key}
             ORDER BY ${n.id} DESC LIMIT ${ACTORS_SHOWN})) AS actors,
          ${withheldByModerationSql(args.recipientId, g)} AS withheld,
          (SELECT ${latest.text} FROM ${notifications} ${latest} WHERE ${latest.id} = ${g.latest_id}) AS text,
          (SELECT substr(${c.body}, 1, 100) FROM ${comments} ${c} WHERE ${c.id} = ${g.comment_id}) AS excerpt
        FROM ${notificationGroups} ${g}
        WHERE ${g.recipient_id} = ${args.recipientId} AND ${g.folder} = ${args.folder} AND ${types} AND ${one}
          AND ${idBefore(g.latest_id, args.before)}
        ORDER BY ${g.latest_id} DESC LIMIT ${args.limit}`,
  );
}

/** The first image of each post: what a notification's post card shows. */
export async function firstImages(db: Db, postIds: string[]) {
  if (postIds.length === 0) return [];
  const pm = alias(postMedia, "pm");
  const m = alias(media, "m");
  return db.all<{ post_id: string; media_id: string; owner_id: string; thumbhash: string | null }>(
    sql`SELECT ${pm.post_id} AS post_id, ${m.id} AS media_id, ${m.owner_id} AS owner_id, ${m.thumbhash} AS thumbhash,
          MIN(${pm.position})
        FROM ${postMedia} ${pm} JOIN ${media} ${m} ON ${m.id} = ${pm.media_id}
        WHERE ${pm.post_id} IN ${inList(postIds)} GROUP BY ${pm.post_id}`,
  );
}

/** Cap of the unread count: past it, clients show "999+" or "99+". */
export const UNREAD_CAP = 1000;

/** Unread groups of the main list, exact up to `UNREAD_CAP` (an index range, never a full count). */
export async function unreadGroups(db: Db, recipientId: string, lastReadId: string | null): Promise<number> {
  const g = notificationGroups;
  const row = await db.get<{ count: number }>(
    sql`SELECT COUNT(*) AS count FROM (SELECT 1 FROM ${g}
          WHERE ${g.recipient_id} = ${recipientId} AND ${g.folder} = 'main' AND ${g.latest_id} > ${lastReadId ?? ""}
            AND NOT ${withheldByModerationSql(recipientId, g)}
          LIMIT ${UNREAD_CAP})`,
  );
  return row?.count ?? 0;
}

export async function getMarker(db: Db, userId: string) {
  return db.select().from(notificationMarkers).where(eq(notificationMarkers.user_id, userId)).get();
}

/** Moves the marker to `lastReadId` if that is further than where it is. */
export async function advanceMarker(db: Db, userId: string, lastReadId: string, now: string): Promise<void> {
  const m = notificationMarkers;
  await db.run(
    sql`INSERT INTO ${m} (${columnNames(m.user_id, m.last_read_id, m.updated_at)}) VALUES (${userId}, ${lastReadId}, ${now})
        ON CONFLICT (${columnNames(m.user_id)}) DO UPDATE SET
          ${columnNames(m.last_read_id)} = excluded.${columnNames(m.last_read_id)},
          ${columnNames(m.updated_at)} = excluded.${columnNames(m.updated_at)}
        WHERE excluded.${columnNames(m.last_read_id)} > ${m.last_read_id}`,
  );
}

export async function isRecipientOf(db: Db, userId: string, notificationId: string): Promise<boolean> {
  const row = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.id, notificationId), eq(notifications.recipient_id, userId)))
    .get();
  return row !== undefined;
}

export async function getSettingsJson(db: Db, userId: string): Promise<string | null> {
  const row = await db
    .select({ settings: notificationSettings.settings })
    .from(notificationSettings)
    .where(eq(notificationSettings.user_id, userId))
    .get();
  return row?.settings ?? null;
}

export async function saveSettingsJson(db: Db, userId: string, json: string, now: string): Promise<void> {
  await db
    .insert(notificationSettings)
    .values({ user_id: userId, settings: json, updated_at: now })
    .onConflictDoUpdate({ target: notificationSettings.user_id, set: { settings: json, updated_at: now } });
}

/**
 * Deletes up to `limit` notifications and groups older than `cutoffId` (ids sort by time), walking
 * the primary key and `notification_groups_latest_idx`; answers how many rows went.
 */
export async function trimBefore(db: Db, cutoffId: string, limit: number): Promise<number> {
  const g = notificationGroups;
  const results = await db.batch([
    db.run(
      sql`DELETE FROM ${notifications} WHERE ${notifications.id} IN
            (SELECT ${notifications.id} FROM ${notifications} WHERE ${notifications.id} < ${cutoffId} LIMIT ${limit})`,
    ),
    db.run(
      sql`DELETE FROM ${g} WHERE (${g.recipient_id}, ${g.group_key}) IN
            (SELECT ${g.recipient_id}, ${g.group_key} FROM ${g} WHERE ${g.latest_id} < ${cutoffId} LIMIT ${limit})`,
    ),
  ]);
  return results.reduce((sum, r) => sum + r.meta.changes, 0);
}

/** What deciding on one notification needs about (recipient, actor), in one round trip. */
export interface ActorFacts {
  /** The recipient follows the actor. */
  following: number;
  blocked: number;
  /** The recipient has muted the actor. */
  muted: number;
  actor_created_at: string;
}

export async function actorFacts(db: Db, recipientId: string, actorId: string): Promise<ActorFacts | undefined> {
  const u = alias(users, "u");
  return db.get<ActorFacts | undefined>(
    sql`SELECT ${followsSql(recipientId, u.id)} AS following, ${blockedEitherWaySql(recipientId, u.id)} AS blocked,
          ${mutesSql(recipientId, u.id)} AS muted, ${u.created_at} AS actor_created_at
        FROM ${users} ${u} WHERE ${u.id} = ${actorId}`,
  );
}

/** Ids of the accounts with these usernames (mentions in a comment). */
export async function userIdsByUsername(db: Db, usernames: string[]): Promise<string[]> {
  if (usernames.length === 0) return [];
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`${users.username} IN ${inList(usernames)}`);
  return rows.map((r) => r.id);
}

/** Ids of the accounts a post's caption mentions. */
export async function mentionedInPost(db: Db, postId: string): Promise<string[]> {
  const rows = await db.select({ id: postMentions.user_id }).from(postMentions).where(eq(postMentions.post_id, postId));
  return rows.map((r) => r.id);
}

/** A follower of a live host, with what the posts' rule needs about (follower, host). */
export type LiveFollowerRow = { follower_id: string; edge_id: string } & RelationFacts;

/** The host's followers after the follow edge `after`, oldest edge first: one chunk of a live fan-out. */
export async function liveFollowerChunk(
  db: Db,
  args: { hostId: string; after: string | null; limit: number },
): Promise<LiveFollowerRow[]> {
  const f = alias(follows, "f");
  const h = alias(users, "h");
  return db.all<LiveFollowerRow>(
    sql`SELECT ${f.follower_id} AS follower_id, ${f.id} AS edge_id, ${h.is_private} AS owner_private, 1 AS following,
          ${accountGoneSql(h)} AS owner_suspended,
          ${closeFriendSql(args.hostId, f.follower_id)} AS close_friend,
          ${blockedEitherWaySql(f.follower_id, args.hostId)} AS blocked
        FROM ${follows} ${f} JOIN ${users} ${h} ON ${h.id} = ${f.followee_id}
        WHERE ${f.followee_id} = ${args.hostId} AND ${idAfter(f.id, args.after)}
        ORDER BY ${f.id} LIMIT ${args.limit}`,
  );
}

/** A live session as a notification shows it, with the facts about (recipient, host). */
export type LiveTargetRow = Pick<typeof liveSessions.$inferSelect, "id" | "title" | "status" | "audience" | "host_id"> &
  RelationFacts;

export async function liveTargets(db: Db, recipientId: string, ids: string[]): Promise<LiveTargetRow[]> {
  if (ids.length === 0) return [];
  const l = alias(liveSessions, "l");
  const h = alias(users, "h");
  return db.all<LiveTargetRow>(
    sql`SELECT ${l.id} AS id, ${l.title} AS title, ${l.status} AS status, ${l.audience} AS audience, ${l.host_id} AS host_id,
          ${relationFactsSql(recipientId, l.host_id, h.is_private, h)}
        FROM ${liveSessions} ${l} JOIN ${users} ${h} ON ${h.id} = ${l.host_id}
        WHERE ${l.id} IN ${inList(ids)}`,
  );
}
