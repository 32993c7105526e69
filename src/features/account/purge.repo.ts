import { and, eq, isNotNull, lte, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  authEvents,
  blocks,
  captionJobs,
  closeFriends,
  comments,
  conversationMembers,
  conversations,
  dataExports,
  exploreSeen,
  exploreSnapshots,
  feedSnapshots,
  followRequests,
  follows,
  highlightStories,
  highlights,
  idempotencyKeys,
  likes,
  liveSessions,
  media,
  mutes,
  notificationGroups,
  notificationMarkers,
  notificationSettings,
  notifications,
  postMentions,
  posts,
  pushSubscriptions,
  realtimeTickets,
  refreshTokens,
  saves,
  stories,
  storyViews,
  suggestionDismissals,
  tagFollows,
  users,
} from "../../db/schema";
import { columnNames, type Db } from "../../platform/db";
import type { PurgeStep } from "../../platform/jobs";
import { removalStatements } from "../notifications/notifications.repo";

/*
 * The queries of an account's purge (docs/accounts.md, "The purge"). Every statement is bounded
 * (a chunk of at most a few hundred rows) and idempotent: it deletes what is still there, and a
 * counter moves in the same batch as the rows it counts, by exactly the rows deleted. So a step
 * that runs twice, or is cut off and runs again, changes nothing the second time.
 */

type Stmt = ReturnType<Db["run"]>;

/** Rows one statement deletes at most. */
const CHUNK = 200;

/** Deletes up to CHUNK rows of `table` that match `where` (rowid: D1 has no DELETE … LIMIT). */
function deleteChunk(db: Db, table: SQLiteTable, where: SQL): Stmt {
  return db.run(sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${CHUNK})`);
}

/** Runs the batch; answers whether any statement changed a row (more may be left). */
async function progressed(db: Db, statements: Stmt[]): Promise<boolean> {
  const [first, ...rest] = statements;
  if (!first) return false;
  const results = await db.batch([first, ...rest]);
  return results.some((r) => r.meta.changes > 0);
}

/**
 * Stamps the purge's progress on the account, if it is still one to purge (deleted before
 * `cutoff`, so not restored); answers false when it is not (restored, or already erased).
 */
export async function touchPurge(db: Db, userId: string, cutoff: string, now: string): Promise<boolean> {
  const row = await db
    .update(users)
    .set({ purge_touched_at: now })
    .where(and(eq(users.id, userId), isNotNull(users.deleted_at), lte(users.deleted_at, cutoff)))
    .returning({ id: users.id })
    .get();
  return row !== undefined;
}

/** The cron's claim on a due purge: stamps it only if it is still due and not running. */
export function claimPurgeStatement(db: Db, userId: string, cutoff: string, staleBefore: string, now: string) {
  return db
    .update(users)
    .set({ purge_touched_at: now })
    .where(
      and(
        eq(users.id, userId),
        isNotNull(users.deleted_at),
        lte(users.deleted_at, cutoff),
        sql`(${users.purge_touched_at} IS NULL OR ${users.purge_touched_at} < ${staleBefore})`,
      ),
    );
}

/** Accounts whose grace period is over and whose purge is not running (never stamped, or stale). */
export async function duePurges(db: Db, cutoff: string, staleBefore: string, limit: number) {
  return db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        isNotNull(users.deleted_at),
        lte(users.deleted_at, cutoff),
        sql`(${users.purge_touched_at} IS NULL OR ${users.purge_touched_at} < ${staleBefore})`,
      ),
    )
    .limit(limit);
}

/** The account's posts, live or already soft-deleted (not yet purged). */
export async function postsOf(db: Db, userId: string, limit: number) {
  return db
    .select({ id: posts.id, deleted_at: posts.deleted_at })
    .from(posts)
    .where(eq(posts.author_id, userId))
    .limit(limit);
}

/** The account's comments on any post. */
export async function commentsOf(db: Db, userId: string, limit: number) {
  return db
    .select({ id: comments.id, postId: comments.post_id, parentId: comments.parent_id })
    .from(comments)
    .where(eq(comments.author_id, userId))
    .limit(limit);
}

/** Its likes: each liked post's `like_count` down by one, in the batch that deletes the like. */
export function purgeLikes(db: Db, userId: string): Promise<boolean> {
  const chunk = sql`SELECT ${likes.post_id} FROM ${likes} WHERE ${likes.user_id} = ${userId} ORDER BY ${likes.post_id} LIMIT ${CHUNK}`;
  return progressed(db, [
    db.run(
      sql`UPDATE ${posts} SET ${columnNames(posts.like_count)} = ${posts.like_count} - 1 WHERE ${posts.id} IN (${chunk})`,
    ),
    db.run(sql`DELETE FROM ${likes} WHERE ${likes.user_id} = ${userId} AND ${likes.post_id} IN (${chunk})`),
  ]);
}

/** Its saves, with each post's `save_count`. */
export function purgeSaves(db: Db, userId: string): Promise<boolean> {
  const chunk = sql`SELECT ${saves.post_id} FROM ${saves} WHERE ${saves.user_id} = ${userId} ORDER BY ${saves.post_id} LIMIT ${CHUNK}`;
  return progressed(db, [
    db.run(
      sql`UPDATE ${posts} SET ${columnNames(posts.save_count)} = ${posts.save_count} - 1 WHERE ${posts.id} IN (${chunk})`,
    ),
    db.run(sql`DELETE FROM ${saves} WHERE ${saves.user_id} = ${userId} AND ${saves.post_id} IN (${chunk})`),
  ]);
}

/**
 * Follows both ways, with the other side's counter (`followers_count` of whom it followed,
 * `following_count` of who followed it), and follow requests both ways.
 */
export function purgeFollows(db: Db, userId: string): Promise<boolean> {
  const followed = sql`SELECT ${follows.followee_id} FROM ${follows} WHERE ${follows.follower_id} = ${userId} ORDER BY ${follows.followee_id} LIMIT ${CHUNK}`;
  const followers = sql`SELECT ${follows.follower_id} FROM ${follows} WHERE ${follows.followee_id} = ${userId} ORDER BY ${follows.follower_id} LIMIT ${CHUNK}`;
  return progressed(db, [
    db.run(
      sql`UPDATE ${users} SET ${columnNames(users.followers_count)} = ${users.followers_count} - 1 WHERE ${users.id} IN (${followed})`,
    ),
    db.run(
      sql`DELETE FROM ${follows} WHERE ${follows.follower_id} = ${userId} AND ${follows.followee_id} IN (${followed})`,
    ),
    db.run(
      sql`UPDATE ${users} SET ${columnNames(users.following_count)} = ${users.following_count} - 1 WHERE ${users.id} IN (${followers})`,
    ),
    db.run(
      sql`DELETE FROM ${follows} WHERE ${follows.followee_id} = ${userId} AND ${follows.follower_id} IN (${followers})`,
    ),
    deleteChunk(db, followRequests, sql`${followRequests.requester_id} = ${userId}`),
    deleteChunk(db, followRequests, sql`${followRequests.target_id} = ${userId}`),
  ]);
}

/** Lists and relations without counters: close friends, blocks, mutes, dismissals, tag follows, mentions. */
export function purgeGraph(db: Db, userId: string): Promise<boolean> {
  return progressed(db, [
    deleteChunk(db, closeFriends, sql`${closeFriends.user_id} = ${userId}`),
    deleteChunk(db, closeFriends, sql`${closeFriends.friend_id} = ${userId}`),
    deleteChunk(db, blocks, sql`${blocks.blocker_id} = ${userId}`),
    deleteChunk(db, blocks, sql`${blocks.blocked_id} = ${userId}`),
    deleteChunk(db, mutes, sql`${mutes.muter_id} = ${userId}`),
    deleteChunk(db, mutes, sql`${mutes.muted_id} = ${userId}`),
    deleteChunk(db, suggestionDismissals, sql`${suggestionDismissals.user_id} = ${userId}`),
    deleteChunk(db, suggestionDismissals, sql`${suggestionDismissals.dismissed_id} = ${userId}`),
    deleteChunk(db, tagFollows, sql`${tagFollows.user_id} = ${userId}`),
    deleteChunk(db, postMentions, sql`${postMentions.user_id} = ${userId}`),
  ]);
}

/**
 * Stories: its own (a chunk, with their views and highlight entries), the views it left on
 * others' stories (each story's `view_count` down by one), and its highlights.
 */
export function purgeStories(db: Db, userId: string): Promise<boolean> {
  const own = sql`SELECT ${stories.id} FROM ${stories} WHERE ${stories.author_id} = ${userId} ORDER BY ${stories.id} LIMIT 50`;
  const viewed = sql`SELECT ${storyViews.story_id} FROM ${storyViews} WHERE ${storyViews.viewer_id} = ${userId} ORDER BY ${storyViews.story_id} LIMIT ${CHUNK}`;
  const ownHighlights = sql`SELECT ${highlights.id} FROM ${highlights} WHERE ${highlights.owner_id} = ${userId} ORDER BY ${highlights.id} LIMIT 50`;
  return progressed(db, [
    db.run(sql`DELETE FROM ${storyViews} WHERE ${storyViews.story_id} IN (${own})`),
    db.run(sql`DELETE FROM ${highlightStories} WHERE ${highlightStories.story_id} IN (${own})`),
    db.run(sql`DELETE FROM ${stories} WHERE ${stories.id} IN (${own})`),
    db.run(
      sql`UPDATE ${stories} SET ${columnNames(stories.view_count)} = ${stories.view_count} - 1 WHERE ${stories.id} IN (${viewed})`,
    ),
    db.run(
      sql`DELETE FROM ${storyViews} WHERE ${storyViews.viewer_id} = ${userId} AND ${storyViews.story_id} IN (${viewed})`,
    ),
    db.run(sql`DELETE FROM ${highlightStories} WHERE ${highlightStories.highlight_id} IN (${ownHighlights})`),
    db.run(sql`DELETE FROM ${highlights} WHERE ${highlights.id} IN (${ownHighlights})`),
  ]);
}

/**
 * Notifications to it (with their groups, marker and settings) and from it (the groups they
 * counted in kept exact, as when a post is deleted).
 */
export function purgeNotifications(db: Db, userId: string): Promise<boolean> {
  const fromIt = sql`SELECT ${notifications.id} FROM ${notifications} WHERE ${notifications.actor_id} = ${userId} ORDER BY ${notifications.id} LIMIT ${CHUNK}`;
  return progressed(db, [
    deleteChunk(db, notifications, sql`${notifications.recipient_id} = ${userId}`),
    deleteChunk(db, notificationGroups, sql`${notificationGroups.recipient_id} = ${userId}`),
    db.delete(notificationMarkers).where(eq(notificationMarkers.user_id, userId)),
    db.delete(notificationSettings).where(eq(notificationSettings.user_id, userId)),
    ...removalStatements(db, (n) => sql`${n.id} IN (${fromIt})`),
  ] as Stmt[]);
}

/** A chunk of the conversations it is a member of. */
export async function membershipsOf(db: Db, userId: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: conversationMembers.conversation_id })
    .from(conversationMembers)
    .where(eq(conversationMembers.user_id, userId))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** After its room redacted it: it leaves the conversation, and the inbox preview loses its words. */
export async function leaveConversation(db: Db, conversationId: string, userId: string): Promise<void> {
  await db.batch([
    db
      .update(conversations)
      .set({ last_message_body: "" })
      .where(and(eq(conversations.id, conversationId), eq(conversations.last_message_sender_id, userId))),
    db
      .delete(conversationMembers)
      .where(and(eq(conversationMembers.conversation_id, conversationId), eq(conversationMembers.user_id, userId))),
  ]);
}

/** Its media rows and caption jobs (the R2 objects go by prefix once none is left). */
export function purgeMediaRows(db: Db, userId: string): Promise<boolean> {
  return progressed(db, [
    deleteChunk(db, captionJobs, sql`${captionJobs.owner_id} = ${userId}`),
    deleteChunk(db, media, sql`${media.owner_id} = ${userId}`),
  ]);
}

/** Its exports with a multipart upload still open (to abort before the rows go). */
export async function openExportUploads(db: Db, userId: string) {
  return db
    .select({ key: dataExports.object_key, uploadId: dataExports.upload_id })
    .from(dataExports)
    .where(and(eq(dataExports.user_id, userId), isNotNull(dataExports.upload_id)));
}

export function purgeExportRows(db: Db, userId: string): Promise<boolean> {
  return progressed(db, [deleteChunk(db, dataExports, sql`${dataExports.user_id} = ${userId}`)]);
}

/** Sessions, tickets, push subscriptions, its caches, idempotency keys, live sessions (its timeline: the service). */
export function purgeSessions(db: Db, userId: string): Promise<boolean> {
  return progressed(db, [
    deleteChunk(db, refreshTokens, sql`${refreshTokens.user_id} = ${userId}`),
    deleteChunk(db, realtimeTickets, sql`${realtimeTickets.user_id} = ${userId}`),
    deleteChunk(db, authEvents, sql`${authEvents.user_id} = ${userId}`),
    deleteChunk(db, pushSubscriptions, sql`${pushSubscriptions.user_id} = ${userId}`),
    deleteChunk(db, feedSnapshots, sql`${feedSnapshots.user_id} = ${userId}`),
    deleteChunk(db, exploreSeen, sql`${exploreSeen.user_id} = ${userId}`),
    deleteChunk(db, exploreSnapshots, sql`${exploreSnapshots.user_id} = ${userId}`),
    deleteChunk(db, idempotencyKeys, sql`${idempotencyKeys.user_id} = ${userId}`),
    deleteChunk(db, liveSessions, sql`${liveSessions.host_id} = ${userId}`),
  ]);
}

/**
 * For each step, whether a row it erases still refers to the account: the last step's check, so
 * that a row written by a race with the deletion after its step had run (a follow, a like) sends
 * the purge back to that step rather than being left behind.
 */
export async function leftovers(db: Db, userId: string): Promise<PurgeStep | null> {
  const any = (table: SQLiteTable, where: SQL) => sql`EXISTS (SELECT 1 FROM ${table} WHERE ${where})`;
  const checks: [PurgeStep, SQL][] = [
    ["posts", any(posts, eq(posts.author_id, userId))],
    ["comments", any(comments, eq(comments.author_id, userId))],
    ["likes", any(likes, eq(likes.user_id, userId))],
    ["saves", any(saves, eq(saves.user_id, userId))],
    [
      "follows",
      sql`(${any(follows, sql`${follows.follower_id} = ${userId} OR ${follows.followee_id} = ${userId}`)}
        OR ${any(followRequests, sql`${followRequests.requester_id} = ${userId} OR ${followRequests.target_id} = ${userId}`)})`,
    ],
    [
      "graph",
      sql`(${any(closeFriends, sql`${closeFriends.user_id} = ${userId} OR ${closeFriends.friend_id} = ${userId}`)}
        OR ${any(blocks, sql`${blocks.blocker_id} = ${userId} OR ${blocks.blocked_id} = ${userId}`)}
        OR ${any(mutes, sql`${mutes.muter_id} = ${userId} OR ${mutes.muted_id} = ${userId}`)}
        OR ${any(suggestionDismissals, sql`${suggestionDismissals.user_id} = ${userId} OR ${suggestionDismissals.dismissed_id} = ${userId}`)}
        OR ${any(tagFollows, eq(tagFollows.user_id, userId))} OR ${any(postMentions, eq(postMentions.user_id, userId))})`,
    ],
    [
      "stories",
      sql`(${any(stories, eq(stories.author_id, userId))} OR ${any(storyViews, eq(storyViews.viewer_id, userId))}
        OR ${any(highlights, eq(highlights.owner_id, userId))})`,
    ],
    [
      "notifications",
      sql`(${any(notifications, sql`${notifications.recipient_id} = ${userId} OR ${notifications.actor_id} = ${userId}`)}
        OR ${any(notificationGroups, eq(notificationGroups.recipient_id, userId))})`,
    ],
    ["chat", any(conversationMembers, eq(conversationMembers.user_id, userId))],
    [
      "media",
      sql`(${any(media, eq(media.owner_id, userId))} OR ${any(captionJobs, eq(captionJobs.owner_id, userId))})`,
    ],
    ["exports", any(dataExports, eq(dataExports.user_id, userId))],
    [
      "sessions",
      sql`(${any(refreshTokens, eq(refreshTokens.user_id, userId))} OR ${any(pushSubscriptions, eq(pushSubscriptions.user_id, userId))}
        OR ${any(liveSessions, eq(liveSessions.host_id, userId))}
        OR ${any(realtimeTickets, eq(realtimeTickets.user_id, userId))})`,
    ],
  ];
  const row = await db.get<Record<string, number>>(
    sql`SELECT ${sql.join(
      checks.map(([step, check]) => sql`${check} AS ${sql.identifier(step)}`),
      sql`, `,
    )}`,
  );
  return checks.find(([step]) => row?.[step] === 1)?.[0] ?? null;
}

/**
 * The last statement: the users row goes, so the username and email are free again. Conditional
 * on the account still being one to purge, so a restore cannot be overtaken.
 */
export async function deleteAccountRow(db: Db, userId: string, cutoff: string): Promise<boolean> {
  const row = await db
    .delete(users)
    .where(and(eq(users.id, userId), isNotNull(users.deleted_at), lte(users.deleted_at, cutoff)))
    .returning({ id: users.id })
    .get();
  return row !== undefined;
}
