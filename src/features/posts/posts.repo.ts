import { type Db, legacyIdBefore } from "../../platform/db";
import { legacyMutesSql, legacyRelationFactsSql, type RelationFacts } from "../../policy";

/*
 * Post writes are single D1 batches. Counters move only when the batch really changed what they
 * count: inserts are guarded by EXISTS on this request's new id, deletes by EXISTS before the
 * DELETE, a soft delete by `deleted_at IS NULL` (see graph.repo.ts for the pattern).
 */

export interface PostRow {
  id: string;
  author_id: string;
  caption: string;
  location: string | null;
  audience: "public" | "followers" | "close_friends";
  like_count: number;
  comment_count: number;
  created_at: string;
  updated_at: string;
}

/** The columns of a PostRow, from `posts p`. */
export const POST_COLUMNS =
  "p.id, p.author_id, p.caption, p.location, p.audience, p.like_count, p.comment_count, p.created_at, p.updated_at";

/** A post with the facts the policy needs about its author for viewer `?1` (and a mute flag). */
export type PostWithFacts = PostRow & RelationFacts & { muted: number; save_count: number };

/** The columns of a PostWithFacts, from `posts p JOIN users u ON u.id = p.author_id`, viewer bound at ?1. */
export const POST_WITH_FACTS_COLUMNS = `${POST_COLUMNS}, p.save_count, ${legacyRelationFactsSql("?1", "p.author_id", "u.is_private")},
  ${legacyMutesSql("?1", "p.author_id")} AS muted`;

/**
 * Live posts by id with their authors' facts for `viewerId` (null: anonymous), newest first:
 * what a visibility check needs, in one D1 round trip. Posts whose author is gone are left out.
 */
export async function postsWithFacts(db: Db, viewerId: string | null, ids: string[]): Promise<PostWithFacts[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_WITH_FACTS_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.deleted_at IS NULL AND p.id IN (SELECT value FROM json_each(?2)) ORDER BY p.id DESC`,
    )
    .bind(viewerId ?? "", JSON.stringify(ids))
    .all<PostWithFacts>();
  return results;
}

export interface MediaForPost {
  id: string;
  owner_id: string;
  status: string;
  attached_at: string | null;
}

export async function mediaForPost(db: Db, ids: string[]): Promise<MediaForPost[]> {
  const { results } = await db.$client
    .prepare("SELECT id, owner_id, status, attached_at FROM media WHERE id IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify(ids))
    .all<MediaForPost>();
  return results;
}

function tagStatements(d1: D1Database, postId: string, tags: string[], mentions: string[]): D1PreparedStatement[] {
  return [
    d1
      .prepare("INSERT INTO post_hashtags (post_id, tag) SELECT ?1, value FROM json_each(?2)")
      .bind(postId, JSON.stringify(tags)),
    d1
      .prepare(
        `INSERT INTO hashtags (tag, post_count) SELECT value, 1 FROM json_each(?1) WHERE true
         ON CONFLICT (tag) DO UPDATE SET post_count = post_count + 1`,
      )
      .bind(JSON.stringify(tags)),
    // Mentions of names that are not accounts simply find no row.
    d1
      .prepare(
        "INSERT OR IGNORE INTO post_mentions (post_id, user_id) SELECT ?1, id FROM users WHERE username IN (SELECT value FROM json_each(?2))",
      )
      .bind(postId, JSON.stringify(mentions)),
  ];
}

/** Drops a post's tags and mentions, taking its tags out of the hashtag counts. */
function untagStatements(d1: D1Database, postId: string): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        "UPDATE hashtags SET post_count = post_count - 1 WHERE tag IN (SELECT tag FROM post_hashtags WHERE post_id = ?1)",
      )
      .bind(postId),
    d1.prepare("DELETE FROM post_hashtags WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM post_mentions WHERE post_id = ?1").bind(postId),
  ];
}

export interface NewPost {
  id: string;
  authorId: string;
  caption: string;
  location: string | null;
  audience: PostRow["audience"];
  media: { id: string; altText: string }[];
  tags: string[];
  mentions: string[];
  now: string;
  idempotency: { key: string; requestHash: string } | null;
}

/**
 * One batch: the idempotency key (first, so a replay aborts everything), the post, its media
 * (each image usable once: post_media.media_id is unique), tags, mentions and the author's count.
 */
export async function createPost(db: Db, post: NewPost): Promise<void> {
  const d1 = db.$client;
  const statements: D1PreparedStatement[] = [];
  if (post.idempotency) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, resource_id, created_at)
           VALUES (?1, 'posts', ?2, ?3, ?4, ?5)`,
        )
        .bind(post.authorId, post.idempotency.key, post.idempotency.requestHash, post.id, post.now),
    );
  }
  statements.push(
    d1
      .prepare(
        `INSERT INTO posts (id, author_id, caption, location, audience, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)`,
      )
      .bind(post.id, post.authorId, post.caption, post.location, post.audience, post.now),
    d1
      .prepare(
        `INSERT INTO post_media (post_id, position, media_id, alt_text)
         SELECT ?1, key, json_extract(value, '$.id'), json_extract(value, '$.altText') FROM json_each(?2)`,
      )
      .bind(post.id, JSON.stringify(post.media)),
    d1
      .prepare("UPDATE media SET attached_at = ?2 WHERE id IN (SELECT media_id FROM post_media WHERE post_id = ?1)")
      .bind(post.id, post.now),
    ...tagStatements(d1, post.id, post.tags, post.mentions),
    d1.prepare("UPDATE users SET posts_count = posts_count + 1 WHERE id = ?1").bind(post.authorId),
    // The author's own timeline at once (read-your-writes); followers get theirs by fan-out.
    d1
      .prepare("INSERT OR IGNORE INTO timeline (user_id, post_id, author_id) VALUES (?1, ?2, ?1)")
      .bind(post.authorId, post.id),
  );
  await d1.batch(statements);
}

export async function findIdempotentPost(db: Db, userId: string, key: string) {
  return db.$client
    .prepare(
      "SELECT request_hash, resource_id FROM idempotency_keys WHERE user_id = ?1 AND scope = 'posts' AND key = ?2",
    )
    .bind(userId, key)
    .first<{ request_hash: string; resource_id: string }>();
}

export async function findPost(db: Db, id: string): Promise<PostRow | null> {
  return db.$client
    .prepare(`SELECT ${POST_COLUMNS} FROM posts p WHERE p.id = ?1 AND p.deleted_at IS NULL`)
    .bind(id)
    .first<PostRow>();
}

export async function updateCaption(
  db: Db,
  args: { id: string; caption: string; tags: string[]; mentions: string[]; now: string },
) {
  const d1 = db.$client;
  await d1.batch([
    ...untagStatements(d1, args.id),
    ...tagStatements(d1, args.id, args.tags, args.mentions),
    d1.prepare("UPDATE posts SET caption = ?2, updated_at = ?3 WHERE id = ?1").bind(args.id, args.caption, args.now),
  ]);
}

/**
 * Hides a post at once: counts come down (only for the call that really deletes it) and
 * `deleted_at` is set; the queued clean-up removes the children.
 */
export async function softDeletePost(db: Db, post: { id: string; authorId: string; now: string }): Promise<boolean> {
  const d1 = db.$client;
  const live = "EXISTS (SELECT 1 FROM posts WHERE id = ?1 AND deleted_at IS NULL)";
  const results = await d1.batch([
    d1
      .prepare(
        `UPDATE hashtags SET post_count = post_count - 1 WHERE tag IN (SELECT tag FROM post_hashtags WHERE post_id = ?1) AND ${live}`,
      )
      .bind(post.id),
    d1.prepare(`UPDATE users SET posts_count = posts_count - 1 WHERE id = ?2 AND ${live}`).bind(post.id, post.authorId),
    d1.prepare("UPDATE posts SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL").bind(post.id, post.now),
  ]);
  return (results[2]?.meta.changes ?? 0) > 0;
}

/** The queued clean-up of a deleted post: children first, the post row last (so a retry resumes). */
export async function purgePost(
  db: Db,
  postId: string,
): Promise<{ mediaKeys: { ownerId: string; id: string }[] } | null> {
  const d1 = db.$client;
  const post = await d1.prepare("SELECT id FROM posts WHERE id = ?1 AND deleted_at IS NOT NULL").bind(postId).first();
  if (!post) return null;
  const { results } = await d1
    .prepare("SELECT m.id, m.owner_id FROM post_media pm JOIN media m ON m.id = pm.media_id WHERE pm.post_id = ?1")
    .bind(postId)
    .all<{ id: string; owner_id: string }>();
  await d1.batch([
    d1.prepare("DELETE FROM likes WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM comments WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM saves WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM post_hashtags WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM post_mentions WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM media WHERE id IN (SELECT media_id FROM post_media WHERE post_id = ?1)").bind(postId),
    d1.prepare("DELETE FROM post_media WHERE post_id = ?1").bind(postId),
    d1.prepare("DELETE FROM timeline WHERE post_id = ?1").bind(postId),
  ]);
  return { mediaKeys: results.map((r) => ({ ownerId: r.owner_id, id: r.id })) };
}

export async function deletePostRow(db: Db, postId: string): Promise<void> {
  await db.$client.prepare("DELETE FROM posts WHERE id = ?1 AND deleted_at IS NOT NULL").bind(postId).run();
}

/** An author's posts, newest first, limited to the audiences the viewer may see. */
export async function listAuthorPosts(
  db: Db,
  args: { authorId: string; audiences: string[]; before: string | null; limit: number },
): Promise<PostRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_COLUMNS} FROM posts p
       WHERE p.author_id = ?1 AND p.deleted_at IS NULL AND ${legacyIdBefore("p.id", "?2")}
         AND p.audience IN (SELECT value FROM json_each(?3))
       ORDER BY p.id DESC LIMIT ?4`,
    )
    .bind(args.authorId, args.before, JSON.stringify(args.audiences), args.limit)
    .all<PostRow>();
  return results;
}

/** Posts by id (live ones), in no particular order. */
export async function postsByIds(db: Db, ids: string[]): Promise<PostRow[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT ${POST_COLUMNS} FROM posts p WHERE p.id IN (SELECT value FROM json_each(?1)) AND p.deleted_at IS NULL`,
    )
    .bind(JSON.stringify(ids))
    .all<PostRow>();
  return results;
}
