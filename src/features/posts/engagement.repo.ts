import { type Db, legacyIdAfter, legacyIdBefore } from "../../platform/db";
import { noBlockWith, type UserSummaryRow } from "../graph/graph.repo";

/** Likes and saves: insert/delete guarded so counters stay exact (see posts.repo.ts). */
export async function like(db: Db, args: { postId: string; userId: string; id: string; now: string }) {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(
        `INSERT OR IGNORE INTO likes (post_id, user_id, id, created_at)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?1 AND deleted_at IS NULL)`,
      )
      .bind(args.postId, args.userId, args.id, args.now),
    d1
      .prepare(
        "UPDATE posts SET like_count = like_count + 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM likes WHERE post_id = ?1 AND user_id = ?2 AND id = ?3)",
      )
      .bind(args.postId, args.userId, args.id),
  ]);
}

export async function unlike(db: Db, postId: string, userId: string) {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(
        "UPDATE posts SET like_count = like_count - 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM likes WHERE post_id = ?1 AND user_id = ?2)",
      )
      .bind(postId, userId),
    d1.prepare("DELETE FROM likes WHERE post_id = ?1 AND user_id = ?2").bind(postId, userId),
  ]);
}

export async function likeState(db: Db, postId: string, userId: string) {
  const row = await db.$client
    .prepare(
      `SELECT like_count, EXISTS (SELECT 1 FROM likes WHERE post_id = ?1 AND user_id = ?2) AS liked
       FROM posts WHERE id = ?1`,
    )
    .bind(postId, userId)
    .first<{ like_count: number; liked: number }>();
  return { liked: row?.liked === 1, like_count: row?.like_count ?? 0 };
}

/** Save or unsave; `save_count` (a ranking signal) moves only with a real change. */
export async function setSaved(
  db: Db,
  args: { postId: string; userId: string; id: string; now: string; saved: boolean },
) {
  const d1 = db.$client;
  if (args.saved) {
    await d1.batch([
      d1
        .prepare("INSERT OR IGNORE INTO saves (user_id, post_id, id, created_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(args.userId, args.postId, args.id, args.now),
      d1
        .prepare(
          "UPDATE posts SET save_count = save_count + 1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM saves WHERE user_id = ?1 AND post_id = ?2 AND id = ?3)",
        )
        .bind(args.userId, args.postId, args.id),
    ]);
  } else {
    await d1.batch([
      d1
        .prepare(
          "UPDATE posts SET save_count = save_count - 1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM saves WHERE user_id = ?1 AND post_id = ?2)",
        )
        .bind(args.userId, args.postId),
      d1.prepare("DELETE FROM saves WHERE user_id = ?1 AND post_id = ?2").bind(args.userId, args.postId),
    ]);
  }
}

export async function savedPage(db: Db, userId: string, before: string | null, limit: number) {
  const { results } = await db.$client
    .prepare(
      `SELECT s.id AS save_id, s.post_id FROM saves s
       WHERE s.user_id = ?1 AND ${legacyIdBefore("s.id", "?2")} ORDER BY s.id DESC LIMIT ?3`,
    )
    .bind(userId, before, limit)
    .all<{ save_id: string; post_id: string }>();
  return results;
}

export async function likersPage(
  db: Db,
  postId: string,
  viewerId: string | null,
  before: string | null,
  limit: number,
) {
  const { results } = await db.$client
    .prepare(
      `SELECT l.id AS edge_id, u.id, u.username, u.display_name, u.avatar_media_id, u.is_private
       FROM likes l JOIN users u ON u.id = l.user_id
       WHERE l.post_id = ?1 AND ${legacyIdBefore("l.id", "?2")}
         AND ${noBlockWith("?4", "u.id")}
       ORDER BY l.id DESC LIMIT ?3`,
    )
    .bind(postId, before, limit, viewerId)
    .all<UserSummaryRow>();
  return results;
}

export interface CommentRow {
  id: string;
  post_id: string;
  author_id: string;
  parent_id: string | null;
  body: string;
  reply_count: number;
  created_at: string;
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
}

export async function findComment(db: Db, id: string) {
  return db.$client
    .prepare("SELECT id, post_id, author_id, parent_id FROM comments WHERE id = ?1")
    .bind(id)
    .first<{ id: string; post_id: string; author_id: string; parent_id: string | null }>();
}

/** A comment and its count in one batch; a reply also counts on its parent. */
export async function addComment(
  db: Db,
  c: { id: string; postId: string; authorId: string; parentId: string | null; body: string; now: string },
) {
  const d1 = db.$client;
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO comments (id, post_id, author_id, parent_id, body, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM posts WHERE id = ?2 AND deleted_at IS NULL)`,
      )
      .bind(c.id, c.postId, c.authorId, c.parentId, c.body, c.now),
    d1
      .prepare(
        "UPDATE posts SET comment_count = comment_count + 1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM comments WHERE id = ?1)",
      )
      .bind(c.id, c.postId),
    d1
      .prepare(
        "UPDATE comments SET reply_count = reply_count + 1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM comments WHERE id = ?1)",
      )
      .bind(c.id, c.parentId),
  ]);
}

/** Deletes a comment with its replies; counts come down by what is really deleted. */
export async function deleteComment(db: Db, c: { id: string; postId: string; parentId: string | null }) {
  const d1 = db.$client;
  const doomed = "SELECT id FROM comments WHERE id = ?1 OR parent_id = ?1";
  await d1.batch([
    d1
      .prepare(`UPDATE posts SET comment_count = comment_count - (SELECT COUNT(*) FROM (${doomed})) WHERE id = ?2`)
      .bind(c.id, c.postId),
    d1
      .prepare(
        "UPDATE comments SET reply_count = reply_count - 1 WHERE id = ?2 AND EXISTS (SELECT 1 FROM comments WHERE id = ?1)",
      )
      .bind(c.id, c.parentId),
    d1.prepare("DELETE FROM comments WHERE id = ?1 OR parent_id = ?1").bind(c.id),
  ]);
}

const COMMENT_VIEW = `SELECT c.id, c.post_id, c.author_id, c.parent_id, c.body, c.reply_count, c.created_at,
              u.username, u.display_name, u.avatar_media_id, u.is_private
       FROM comments c JOIN users u ON u.id = c.author_id`;

export async function findCommentView(db: Db, id: string): Promise<CommentRow | null> {
  return db.$client.prepare(`${COMMENT_VIEW} WHERE c.id = ?1`).bind(id).first<CommentRow>();
}

/** Comments in conversation order (oldest first): top level, or the replies to one comment. */
export async function commentsPage(
  db: Db,
  args: { postId: string; parentId: string | null; viewerId: string | null; after: string | null; limit: number },
): Promise<CommentRow[]> {
  const { results } = await db.$client
    .prepare(
      `${COMMENT_VIEW}
       WHERE c.post_id = ?1 AND c.parent_id IS ?2 AND ${legacyIdAfter("c.id", "?3")}
         AND ${noBlockWith("?5", "u.id")}
       ORDER BY c.id ASC LIMIT ?4`,
    )
    .bind(args.postId, args.parentId, args.after, args.limit, args.viewerId)
    .all<CommentRow>();
  return results;
}
