import { and, eq, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { alias, type BuildAliasTable } from "drizzle-orm/sqlite-core";
import {
  comments,
  hashtags,
  idempotencyKeys,
  likes,
  media,
  postHashtags,
  postMedia,
  postMentions,
  posts,
  saves,
  tagDailyUses,
  users,
} from "../../db/schema";
import { type Db, idBefore, inList } from "../../platform/db";
import type { Outbox, Staged } from "../../platform/outbox";
import {
  ACCOUNT_CHECKED,
  contentShownSql,
  type ModerationSurface,
  mutesSql,
  type RelationFacts,
  relationFactsSql,
} from "../../policy";
import { aboutPost, removalStatements } from "../notifications/notifications.repo";

/*
 * Post writes are single D1 batches. Counters move only when the batch really changed what they
 * count: inserts are guarded by EXISTS on this request's new id, deletes by EXISTS before the
 * DELETE, a soft delete by `deleted_at IS NULL` (see graph.repo.ts for the pattern).
 */

/**
 * Statements for one `db.batch` (which takes a non-empty list). Batch items here are builder
 * queries: drizzle's D1 batch fails on a raw `db.run(sql…)` item that has parameters (it binds
 * through a prepared statement such an item does not have). So an INSERT … SELECT is
 * `insert().select()`, and INSERT OR IGNORE is `onConflictDoNothing()`, the same for these rows:
 * every column is NOT NULL and filled, and no CHECK applies, so the key is all they can conflict on.
 */
type Statements = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

/** `posts` under an alias (`alias(posts, "p")`), as the SQL pieces below read it. */
export type PostsAlias = BuildAliasTable<typeof posts, string>;
/** `users` under an alias (`alias(users, "u")`). */
export type UsersAlias = BuildAliasTable<typeof users, string>;

/** The columns of a PostRow, in the order a query selects them. */
const POST_ROW_COLUMNS = [
  "id",
  "author_id",
  "caption",
  "location",
  "audience",
  "like_count",
  "comment_count",
  "created_at",
  "updated_at",
  "hidden_at",
  "hidden_reason",
] as const satisfies readonly (keyof typeof posts.$inferSelect)[];

export type PostRow = Pick<typeof posts.$inferSelect, (typeof POST_ROW_COLUMNS)[number]>;

/** The select list of a PostRow, from posts alias `p`. */
export const postColumnsSql = (p: PostsAlias): SQL =>
  sql.join(
    POST_ROW_COLUMNS.map((column) => p[column]),
    sql`, `,
  );

/** A post with the facts the policy needs about its author for the viewer (and a mute flag). */
export type PostWithFacts = PostRow &
  Pick<typeof posts.$inferSelect, "save_count"> &
  RelationFacts & {
    muted: number;
  };

/**
 * The select list of a PostWithFacts, from `posts p JOIN users u ON u.id = p.author_id`, for
 * `viewer` ("" for anonymous).
 */
export function postWithFactsColumnsSql(viewer: string, p: PostsAlias, u: UsersAlias): SQL {
  return sql`${postColumnsSql(p)}, ${p.save_count}, ${relationFactsSql(viewer, p.author_id, u.is_private, u)},
    ${mutesSql(viewer, p.author_id)} AS muted`;
}

/**
 * Live posts by id with their authors' facts for `viewerId` (null: anonymous), newest first:
 * what a visibility check needs, in one D1 round trip. Posts whose author is gone are left out,
 * and so is what moderation keeps from this viewer on surface `on` (a list unless told: hidden
 * posts and suspended authors' posts; a single read asks with `read` and the caller's staff flag).
 */
export async function postsWithFacts(
  db: Db,
  viewerId: string | null,
  ids: string[],
  on: ModerationSurface = "list",
  staff = false,
): Promise<PostWithFacts[]> {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  const viewer = viewerId ?? "";
  return db.all<PostWithFacts>(
    sql`SELECT ${postWithFactsColumnsSql(viewer, p, u)} FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        WHERE ${p.deleted_at} IS NULL AND ${p.id} IN ${inList(ids)} AND ${contentShownSql(viewer, p, u, on, staff)}
        ORDER BY ${p.id} DESC`,
  );
}

export async function mediaForPost(db: Db, ids: string[]) {
  return db
    .select({ id: media.id, owner_id: media.owner_id, status: media.status, attached_at: media.attached_at })
    .from(media)
    .where(sql`${media.id} IN ${inList(ids)}`);
}

/** The post's tags (the hashtags' `tag`s), as a subquery. */
const tagsOf = (db: Db, postId: string) =>
  db.select({ tag: postHashtags.tag }).from(postHashtags).where(eq(postHashtags.post_id, postId));

function tagStatements(db: Db, postId: string, tags: string[], mentions: string[]): Statements {
  return [
    db
      .insert(postHashtags)
      .select((qb) =>
        qb
          .select({ post_id: sql`${postId}`.as("post_id"), tag: sql`value`.as("tag") })
          .from(sql`json_each(${JSON.stringify(tags)})`),
      ),
    db
      .insert(hashtags)
      .select((qb) =>
        qb
          .select({ tag: sql`value`.as("tag"), post_count: sql`1`.as("post_count") })
          .from(sql`json_each(${JSON.stringify(tags)})`)
          // SQLite needs a WHERE before an INSERT … SELECT's ON CONFLICT (else it reads ON as a join's).
          .where(sql`true`),
      )
      .onConflictDoUpdate({ target: hashtags.tag, set: { post_count: sql`${hashtags.post_count} + 1` } }),
    // Mentions of names that are not accounts simply find no row.
    db
      .insert(postMentions)
      .select((qb) =>
        qb
          .select({ post_id: sql`${postId}`.as("post_id"), user_id: users.id })
          .from(users)
          .where(sql`${users.username} IN ${inList(mentions)}`),
      )
      .onConflictDoNothing(),
  ];
}

/**
 * Counts a use today (`day`, UTC) of each of `tags` the post does not carry yet: all of them for a
 * new post, those a caption edit adds. Only a public post of a public account counts: the trends
 * built on these counts are shown to anyone (docs/search.md "Hashtag pages and trends"). Goes
 * before the post's tag rows change in the batch, after the post row exists.
 */
function dailyUseStatement(db: Db, postId: string, tags: string[], day: string) {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  return db
    .insert(tagDailyUses)
    .select((qb) =>
      qb
        .select({ tag: sql`value`.as("tag"), day: sql`${day}`.as("day"), uses: sql`1`.as("uses") })
        .from(sql`json_each(${JSON.stringify(tags)})`)
        .where(
          sql`value NOT IN (SELECT ${postHashtags.tag} FROM ${postHashtags} WHERE ${postHashtags.post_id} = ${postId})
            AND EXISTS (SELECT 1 FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
              WHERE ${p.id} = ${postId} AND ${p.deleted_at} IS NULL AND ${p.audience} = 'public' AND ${u.is_private} = 0)`,
        ),
    )
    .onConflictDoUpdate({
      target: [tagDailyUses.tag, tagDailyUses.day],
      set: { uses: sql`${tagDailyUses.uses} + 1` },
    });
}

/** Drops a post's tags and mentions, taking its tags out of the hashtag counts. */
function untagStatements(db: Db, postId: string): Statements {
  return [
    db
      .update(hashtags)
      .set({ post_count: sql`${hashtags.post_count} - 1` })
      .where(inArray(hashtags.tag, tagsOf(db, postId))),
    db.delete(postHashtags).where(eq(postHashtags.post_id, postId)),
    db.delete(postMentions).where(eq(postMentions.post_id, postId)),
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
 * (each image usable once: post_media.media_id is unique), tags, mentions, the author's count and
 * the post's jobs (the outbox).
 */
export async function createPost(db: Db, post: NewPost, jobs: Staged): Promise<void> {
  const statements: Statements = [
    db.insert(posts).values({
      id: post.id,
      author_id: post.authorId,
      caption: post.caption,
      location: post.location,
      audience: post.audience,
      created_at: post.now,
      updated_at: post.now,
    }),
    db.insert(postMedia).select((qb) =>
      qb
        .select({
          post_id: sql`${post.id}`.as("post_id"),
          position: sql`key`.as("position"),
          media_id: sql`json_extract(value, '$.id')`.as("media_id"),
          alt_text: sql`json_extract(value, '$.altText')`.as("alt_text"),
        })
        .from(sql`json_each(${JSON.stringify(post.media)})`),
    ),
    db
      .update(media)
      .set({ attached_at: post.now })
      .where(
        inArray(
          media.id,
          db.select({ media_id: postMedia.media_id }).from(postMedia).where(eq(postMedia.post_id, post.id)),
        ),
      ),
    dailyUseStatement(db, post.id, post.tags, post.now.slice(0, 10)),
    ...tagStatements(db, post.id, post.tags, post.mentions),
    db
      .update(users)
      .set({ posts_count: sql`${users.posts_count} + 1` })
      .where(eq(users.id, post.authorId)),
    // The fan-out job, stored with the post so a queue that refuses the send cannot lose it.
    jobs.statement,
  ];
  const key = post.idempotency;
  if (!key) {
    await db.batch(statements);
    return;
  }
  await db.batch([
    db.insert(idempotencyKeys).values({
      user_id: post.authorId,
      scope: "posts",
      key: key.key,
      request_hash: key.requestHash,
      resource_id: post.id,
      created_at: post.now,
    }),
    ...statements,
  ]);
}

export async function findIdempotentPost(db: Db, userId: string, key: string) {
  return db
    .select({ request_hash: idempotencyKeys.request_hash, resource_id: idempotencyKeys.resource_id })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.user_id, userId), eq(idempotencyKeys.scope, "posts"), eq(idempotencyKeys.key, key)))
    .get();
}

export async function findPost(db: Db, id: string): Promise<PostRow | null> {
  const p = alias(posts, "p");
  const row = await db.get<PostRow | undefined>(
    sql`SELECT ${postColumnsSql(p)} FROM ${posts} ${p} WHERE ${p.id} = ${id} AND ${p.deleted_at} IS NULL`,
  );
  return row ?? null;
}

/** The new caption, tags and mentions; `jobs` (the mentions' notify event) in the same batch. */
export async function updateCaption(
  db: Db,
  args: { id: string; caption: string; tags: string[]; mentions: string[]; now: string },
  jobs: Staged,
) {
  await db.batch([
    dailyUseStatement(db, args.id, args.tags, args.now.slice(0, 10)),
    ...untagStatements(db, args.id),
    ...tagStatements(db, args.id, args.tags, args.mentions),
    db.update(posts).set({ caption: args.caption, updated_at: args.now }).where(eq(posts.id, args.id)),
    jobs.statement,
  ]);
}

/**
 * Hides a post at once: counts come down (only for the call that really deletes it), `deleted_at`
 * is set and its notifications leave every list; the queued clean-up removes the children.
 */
export async function softDeletePost(
  db: Db,
  post: { id: string; authorId: string; now: string },
  outbox: Outbox,
): Promise<{ deleted: boolean; jobIds: string[] }> {
  // The clean-up job is stored only by the call whose update deleted the post (its stamp is there).
  const purge = outbox.stage(
    [{ type: "post.purge", post_id: post.id }],
    sql`EXISTS (SELECT 1 FROM ${posts} WHERE ${posts.id} = ${post.id} AND ${posts.deleted_at} = ${post.now})`,
  );
  const live = sql`EXISTS (SELECT 1 FROM ${posts} WHERE ${posts.id} = ${post.id} AND ${posts.deleted_at} IS NULL)`;
  const results = await db.batch([
    db
      .update(hashtags)
      .set({ post_count: sql`${hashtags.post_count} - 1` })
      .where(and(inArray(hashtags.tag, tagsOf(db, post.id)), live)),
    db
      .update(users)
      .set({ posts_count: sql`${users.posts_count} - 1` })
      .where(and(eq(users.id, post.authorId), live)),
    db
      .update(posts)
      .set({ deleted_at: post.now })
      .where(and(eq(posts.id, post.id), isNull(posts.deleted_at))),
    purge.statement,
    ...removalStatements(db, aboutPost(post.id)),
  ]);
  return results[2].meta.changes > 0 ? { deleted: true, jobIds: purge.ids } : { deleted: false, jobIds: [] };
}

/** The queued clean-up of a deleted post: children first, the post row last (so a retry resumes). */
export async function purgePost(
  db: Db,
  postId: string,
): Promise<{ mediaKeys: { ownerId: string; id: string }[] } | null> {
  const post = await db
    .select({ id: posts.id })
    .from(posts)
    .where(and(eq(posts.id, postId), isNotNull(posts.deleted_at)))
    .get();
  if (!post) return null;
  const images = await db
    .select({ id: media.id, owner_id: media.owner_id })
    .from(postMedia)
    .innerJoin(media, eq(media.id, postMedia.media_id))
    .where(eq(postMedia.post_id, postId));
  await db.batch([
    db.delete(likes).where(eq(likes.post_id, postId)),
    db.delete(comments).where(eq(comments.post_id, postId)),
    db.delete(saves).where(eq(saves.post_id, postId)),
    db.delete(postHashtags).where(eq(postHashtags.post_id, postId)),
    db.delete(postMentions).where(eq(postMentions.post_id, postId)),
    db
      .delete(media)
      .where(
        inArray(
          media.id,
          db.select({ media_id: postMedia.media_id }).from(postMedia).where(eq(postMedia.post_id, postId)),
        ),
      ),
    db.delete(postMedia).where(eq(postMedia.post_id, postId)),
  ]);
  return { mediaKeys: images.map((r) => ({ ownerId: r.owner_id, id: r.id })) };
}

export async function deletePostRow(db: Db, postId: string): Promise<void> {
  await db.delete(posts).where(and(eq(posts.id, postId), isNotNull(posts.deleted_at)));
}

/**
 * An author's posts, newest first, limited to the audiences the viewer may see; hidden posts only
 * for the author (`viewerId`), who sees them marked (the `grid` surface of the moderation rule).
 */
export async function listAuthorPosts(
  db: Db,
  args: { authorId: string; viewerId: string | null; audiences: string[]; before: string | null; limit: number },
): Promise<PostRow[]> {
  const p = alias(posts, "p");
  // The author's account was checked before (canSeeAccountContent): only `hidden_at` is left to ask.
  const shown = contentShownSql(args.viewerId ?? "", p, ACCOUNT_CHECKED, "grid");
  return db.all<PostRow>(
    sql`SELECT ${postColumnsSql(p)} FROM ${posts} ${p}
        WHERE ${p.author_id} = ${args.authorId} AND ${p.deleted_at} IS NULL AND ${idBefore(p.id, args.before)}
          AND ${p.audience} IN ${inList(args.audiences)} AND ${shown}
        ORDER BY ${p.id} DESC LIMIT ${args.limit}`,
  );
}

/**
 * Posts by id (live ones) for a list `viewerId` reads, in no particular order: hidden posts and
 * suspended authors' posts are left out (the `list` surface of the moderation rule).
 */
export async function postsByIds(db: Db, viewerId: string, ids: string[]): Promise<PostRow[]> {
  const p = alias(posts, "p");
  const u = alias(users, "u");
  return db.all<PostRow>(
    sql`SELECT ${postColumnsSql(p)} FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
        WHERE ${p.id} IN ${inList(ids)} AND ${p.deleted_at} IS NULL AND ${contentShownSql(viewerId, p, u, "list")}`,
  );
}
