import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { comments, likes, posts, saves, users } from "../../db/schema";
import { columnNames, type Db, idAfter, idBefore } from "../../platform/db";
import type { Job } from "../../platform/jobs";
import type { Outbox } from "../../platform/outbox";
import { accountShownSql, contentShownSql } from "../../policy";
import { noBlockWith, type UserListRow } from "../graph/graph.repo";
import { aboutCommentThread, removalStatements } from "../notifications/notifications.repo";
import { userSummaryJson } from "../users/user-summary";

/** The post exists and is not deleted. */
const livePost = (postId: string): SQL =>
  sql`EXISTS (SELECT 1 FROM ${posts} WHERE ${posts.id} = ${postId} AND ${posts.deleted_at} IS NULL)`;

/**
 * Likes and saves: insert/delete guarded so counters stay exact (see posts.repo.ts). A like stores
 * `jobs` (its notify event) only when this call's insert won, so liking twice tells nobody twice.
 * Answers the ids of the jobs stored.
 */
export async function like(
  db: Db,
  args: { postId: string; userId: string; id: string; now: string },
  outbox: Pick<Outbox, "stage">,
  jobs: Job[],
): Promise<string[]> {
  const won = sql`EXISTS (SELECT 1 FROM ${likes} WHERE ${likes.post_id} = ${args.postId} AND ${likes.user_id} = ${args.userId} AND ${likes.id} = ${args.id})`;
  const staged = outbox.stage(jobs, won);
  await db.batch([
    db.run(
      sql`INSERT OR IGNORE INTO ${likes} (${columnNames(likes.post_id, likes.user_id, likes.id, likes.created_at)})
          SELECT ${args.postId}, ${args.userId}, ${args.id}, ${args.now} WHERE ${livePost(args.postId)}`,
    ),
    db
      .update(posts)
      .set({ like_count: sql`${posts.like_count} + 1` })
      .where(and(eq(posts.id, args.postId), won)),
    staged.statement,
  ]);
  return staged.ids;
}

export async function unlike(db: Db, postId: string, userId: string) {
  await db.batch([
    db
      .update(posts)
      .set({ like_count: sql`${posts.like_count} - 1` })
      .where(
        and(
          eq(posts.id, postId),
          sql`EXISTS (SELECT 1 FROM ${likes} WHERE ${likes.post_id} = ${postId} AND ${likes.user_id} = ${userId})`,
        ),
      ),
    db.delete(likes).where(and(eq(likes.post_id, postId), eq(likes.user_id, userId))),
  ]);
}

export async function likeState(db: Db, postId: string, userId: string) {
  const row = await db
    .select({
      like_count: posts.like_count,
      liked: sql<number>`EXISTS (SELECT 1 FROM ${likes} WHERE ${likes.post_id} = ${postId} AND ${likes.user_id} = ${userId})`,
    })
    .from(posts)
    .where(eq(posts.id, postId))
    .get();
  return { liked: row?.liked === 1, like_count: row?.like_count ?? 0 };
}

/** Save or unsave; `save_count` (a ranking signal) moves only with a real change. */
export async function setSaved(
  db: Db,
  args: { postId: string; userId: string; id: string; now: string; saved: boolean },
) {
  if (args.saved) {
    await db.batch([
      db
        .insert(saves)
        .values({ user_id: args.userId, post_id: args.postId, id: args.id, created_at: args.now })
        .onConflictDoNothing(),
      db
        .update(posts)
        .set({ save_count: sql`${posts.save_count} + 1` })
        .where(
          and(
            eq(posts.id, args.postId),
            sql`EXISTS (SELECT 1 FROM ${saves} WHERE ${saves.user_id} = ${args.userId} AND ${saves.post_id} = ${args.postId} AND ${saves.id} = ${args.id})`,
          ),
        ),
    ]);
  } else {
    await db.batch([
      db
        .update(posts)
        .set({ save_count: sql`${posts.save_count} - 1` })
        .where(
          and(
            eq(posts.id, args.postId),
            sql`EXISTS (SELECT 1 FROM ${saves} WHERE ${saves.user_id} = ${args.userId} AND ${saves.post_id} = ${args.postId})`,
          ),
        ),
      db.delete(saves).where(and(eq(saves.user_id, args.userId), eq(saves.post_id, args.postId))),
    ]);
  }
}

export async function savedPage(db: Db, userId: string, before: string | null, limit: number) {
  return db
    .select({ save_id: saves.id, post_id: saves.post_id })
    .from(saves)
    .where(and(eq(saves.user_id, userId), idBefore(saves.id, before)))
    .orderBy(desc(saves.id))
    .limit(limit);
}

export async function likersPage(
  db: Db,
  postId: string,
  viewerId: string | null,
  before: string | null,
  limit: number,
): Promise<UserListRow[]> {
  const l = alias(likes, "l");
  const u = alias(users, "u");
  return db.all<UserListRow>(
    sql`SELECT ${l.id} AS edge_id, ${userSummaryJson(u)} AS user
        FROM ${likes} ${l} JOIN ${users} ${u} ON ${u.id} = ${l.user_id}
        WHERE ${l.post_id} = ${postId} AND ${idBefore(l.id, before)}
          AND ${noBlockWith(viewerId, u.id)} AND ${accountShownSql(viewerId ?? "", u)}
        ORDER BY ${l.id} DESC LIMIT ${limit}`,
  );
}

/** A comment with its author as lists show one (`author`: `userSummaryJson`). */
export type CommentRow = Pick<
  typeof comments.$inferSelect,
  "id" | "post_id" | "author_id" | "parent_id" | "body" | "reply_count" | "created_at" | "hidden_at" | "hidden_reason"
> & { author: string };

export async function findComment(db: Db, id: string) {
  return db
    .select({
      id: comments.id,
      post_id: comments.post_id,
      author_id: comments.author_id,
      parent_id: comments.parent_id,
      hidden_at: comments.hidden_at,
    })
    .from(comments)
    .where(eq(comments.id, id))
    .get();
}

/**
 * The comment `id` exists (the one this batch inserts, or the one it is about to delete). Aliased,
 * so that inside `UPDATE comments` the subquery's table is plainly its own.
 */
const commentExists = (id: string): SQL => {
  const e = alias(comments, "e");
  return sql`EXISTS (SELECT 1 FROM ${comments} ${e} WHERE ${e.id} = ${id})`;
};

/**
 * A comment and its count in one batch; a reply also counts on its parent. `jobs` (its notify
 * event) are stored only if the comment was (the post may have been deleted meanwhile).
 */
export async function addComment(
  db: Db,
  c: { id: string; postId: string; authorId: string; parentId: string | null; body: string; now: string },
  outbox: Pick<Outbox, "stage">,
  jobs: Job[],
): Promise<string[]> {
  const added = commentExists(c.id);
  const staged = outbox.stage(jobs, added);
  await db.batch([
    db.run(
      sql`INSERT INTO ${comments} (${columnNames(comments.id, comments.post_id, comments.author_id, comments.parent_id, comments.body, comments.created_at)})
          SELECT ${c.id}, ${c.postId}, ${c.authorId}, ${c.parentId}, ${c.body}, ${c.now} WHERE ${livePost(c.postId)}`,
    ),
    db
      .update(posts)
      .set({ comment_count: sql`${posts.comment_count} + 1` })
      .where(and(eq(posts.id, c.postId), added)),
    db
      .update(comments)
      .set({ reply_count: sql`${comments.reply_count} + 1` })
      .where(and(sql`${comments.id} = ${c.parentId}`, added)),
    staged.statement,
  ]);
  return staged.ids;
}

/** A comment's id and its replies' ids: what deleting it removes. */
export async function threadIds(db: Db, commentId: string): Promise<string[]> {
  const rows = await db
    .select({ id: comments.id })
    .from(comments)
    .where(sql`${comments.id} = ${commentId} OR ${comments.parent_id} = ${commentId}`);
  return rows.map((r) => r.id);
}

/**
 * Deletes a comment with its replies; counts come down by what is really deleted, and their
 * notifications leave every list (before the rows they are found by go).
 */
export async function deleteComment(db: Db, c: { id: string; postId: string; parentId: string | null }) {
  const doomed = sql`SELECT ${comments.id} FROM ${comments} WHERE ${comments.id} = ${c.id} OR ${comments.parent_id} = ${c.id}`;
  await db.batch([
    db
      .update(posts)
      .set({ comment_count: sql`${posts.comment_count} - (SELECT COUNT(*) FROM (${doomed}))` })
      .where(eq(posts.id, c.postId)),
    db
      .update(comments)
      .set({ reply_count: sql`${comments.reply_count} - 1` })
      .where(and(sql`${comments.id} = ${c.parentId}`, commentExists(c.id))),
    ...removalStatements(db, aboutCommentThread(c.id)),
    db.delete(comments).where(sql`${comments.id} = ${c.id} OR ${comments.parent_id} = ${c.id}`),
  ]);
}

/* The comment view reads the comment as `c` and its author as `u`. */
const cm = alias(comments, "c");
const au = alias(users, "u");
const COMMENT_VIEW = sql`SELECT ${cm.id}, ${cm.post_id}, ${cm.author_id}, ${cm.parent_id}, ${cm.body}, ${cm.reply_count}, ${cm.created_at},
              ${cm.hidden_at}, ${cm.hidden_reason},
              ${userSummaryJson(au)} AS author
       FROM ${comments} ${cm} JOIN ${users} ${au} ON ${au.id} = ${cm.author_id}`;

export async function findCommentView(db: Db, id: string): Promise<CommentRow | undefined> {
  return db.get<CommentRow | undefined>(sql`${COMMENT_VIEW} WHERE ${cm.id} = ${id}`);
}

/**
 * Comments in conversation order (oldest first): top level, or the replies to one comment; hidden
 * comments and those of suspended accounts left out (a list, for their authors too).
 */
export async function commentsPage(
  db: Db,
  args: { postId: string; parentId: string | null; viewerId: string | null; after: string | null; limit: number },
): Promise<CommentRow[]> {
  return db.all<CommentRow>(
    sql`${COMMENT_VIEW}
        WHERE ${cm.post_id} = ${args.postId} AND ${cm.parent_id} IS ${args.parentId} AND ${idAfter(cm.id, args.after)}
          AND ${noBlockWith(args.viewerId, au.id)} AND ${contentShownSql(args.viewerId ?? "", cm, au, "list")}
        ORDER BY ${cm.id} ASC LIMIT ${args.limit}`,
  );
}
