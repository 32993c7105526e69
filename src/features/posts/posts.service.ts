import type { z } from "@hono/zod-openapi";
import { cursorPosition, splitPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { sha256Hex } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db";
import { newId } from "../../platform/ids";
import { type Job, moderationCheck } from "../../platform/jobs";
import {
  type Audience,
  canSeeAccountContent,
  canSeeContent,
  canSeeModerated,
  moderationFromFacts,
  type Relation,
  relationFromFacts,
} from "../../policy";
import { invalidateFeeds } from "../feed/feed.service";
import { loadRelation } from "../graph/relations.repo";
import { findUserById, findUserByUsername } from "../users/users.repo";
import { type HydrateDeps, hydratePosts, type Post } from "./posts.hydrate";
import {
  deletePostRow,
  findIdempotentPost,
  findPost,
  createPost as insertPost,
  listAuthorPosts,
  mediaForPost,
  type PostRow,
  postsWithFacts,
  purgePost as purgePostRows,
  softDeletePost,
  updateCaption,
} from "./posts.repo";
import { type CreatePostSchema, MAX_HASHTAGS, MAX_MENTIONS } from "./posts.schema";
import { extractHashtags, extractMentions } from "./tags";

export type PostsDeps = HydrateDeps & Pick<Platform, "outbox" | "cache" | "store">;

type PageArgs = { cursor?: string; limit: number };

function parseCaption(caption: string) {
  const tags = extractHashtags(caption);
  const mentions = extractMentions(caption);
  const errors = [];
  if (tags.length > MAX_HASHTAGS) errors.push({ path: "caption", message: `at most ${MAX_HASHTAGS} hashtags` });
  if (mentions.length > MAX_MENTIONS) errors.push({ path: "caption", message: `at most ${MAX_MENTIONS} mentions` });
  if (errors.length > 0) throw new ApiError("validation_failed", "The caption has too many tags.", { errors });
  return { tags, mentions };
}

/** The notify event for a caption's mentions, when it has any. */
function mentionEvent(authorId: string, postId: string, mentions: string[], now: Date): Job[] {
  if (mentions.length === 0) return [];
  return [{ type: "notify", event: { kind: "post", actor_id: authorId, post_id: postId, at: now.toISOString() } }];
}

/**
 * A live post the viewer may see, with the facts about viewer and author; 404 otherwise, the same
 * 404 as for a post that never existed. A hidden post is seen by its author and, when `staff`,
 * by staff (the single read of the moderation rule); a suspended author's by no one else.
 */
export async function visiblePost(
  deps: Pick<HydrateDeps, "db">,
  viewerId: string | null,
  postId: string,
  staff = false,
) {
  const [post] = await postsWithFacts(deps.db, viewerId, [postId], "read", staff);
  if (!post) throw notFound("post");
  const relation = relationFromFacts(viewerId, post.author_id, post);
  if (!canSeeModerated({ self: relation.self, staff }, moderationFromFacts(post), "read")) throw notFound("post");
  if (!canSeeContent(relation, post.audience)) throw notFound("post");
  return { post, relation };
}

export async function createPost(
  deps: PostsDeps,
  authorId: string,
  input: z.infer<typeof CreatePostSchema>,
  idempotencyKey: string | undefined,
): Promise<{ post: Post; replayed: boolean }> {
  const requestHash = await sha256Hex(JSON.stringify(input));
  if (idempotencyKey !== undefined) {
    const replay = await replayPost(deps, authorId, idempotencyKey, requestHash);
    if (replay) return { post: replay, replayed: true };
  }
  const ids = input.media_ids;
  const mediaErrors = ids.flatMap((id, i) =>
    ids.indexOf(id) !== i ? [{ path: `media_ids.${i}`, message: "repeated" }] : [],
  );
  const found = new Map((await mediaForPost(deps.db, ids)).map((m) => [m.id, m]));
  ids.forEach((id, i) => {
    const m = found.get(id);
    if (!m || m.owner_id !== authorId) mediaErrors.push({ path: `media_ids.${i}`, message: "not an image of yours" });
    else if (m.status !== "ready") mediaErrors.push({ path: `media_ids.${i}`, message: `not ready (${m.status})` });
    else if (m.attached_at !== null) mediaErrors.push({ path: `media_ids.${i}`, message: "already used" });
  });
  if ((input.alt_texts?.length ?? 0) > ids.length) {
    mediaErrors.push({ path: "alt_texts", message: "more alt texts than images" });
  }
  if (mediaErrors.length > 0)
    throw new ApiError("validation_failed", "Some media cannot be posted.", { errors: mediaErrors });
  const caption = input.caption ?? "";
  const { tags, mentions } = parseCaption(caption);
  const author = await findUserById(deps.db, authorId);
  if (!author) throw new ApiError("unauthorized", "The account for this token no longer exists.");

  const now = deps.clock.now();
  const id = newId(now.getTime());
  // The fan-out, the event that tells whoever the caption mentions, and the automatic check of
  // the caption and images (same batch as the post).
  const fanoutJob = deps.outbox.stage([
    { type: "feed.fanout", post_id: id, after: null },
    ...mentionEvent(authorId, id, mentions, now),
    ...moderationCheck(deps.config, "post", id),
  ]);
  try {
    await insertPost(
      deps.db,
      {
        id,
        authorId,
        caption,
        location: input.location ?? null,
        audience: input.audience ?? (author.is_private ? "followers" : "public"),
        media: ids.map((mediaId, i) => ({ id: mediaId, altText: input.alt_texts?.[i] ?? "" })),
        tags,
        mentions,
        now: now.toISOString(),
        idempotency: idempotencyKey === undefined ? null : { key: idempotencyKey, requestHash },
      },
      fanoutJob,
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent request with the same key won, or another post took one of these images.
    const replay = idempotencyKey === undefined ? null : await replayPost(deps, authorId, idempotencyKey, requestHash);
    if (replay) return { post: replay, replayed: true };
    throw new ApiError("conflict", "One of these images was just used by another post.");
  }
  await invalidateFeeds(deps.cache, [authorId]);
  // Sent now if the queue takes it; otherwise the outbox sender sends it within a minute.
  await deps.outbox.deliver(fanoutJob.ids);
  const post = await findPost(deps.db, id);
  if (!post) throw new Error(`post ${id} vanished after insert`);
  const [hydrated] = await hydratePosts(deps, [post], authorId);
  if (!hydrated) throw new Error(`post ${id} could not be hydrated`);
  return { post: hydrated, replayed: false };
}

async function replayPost(deps: PostsDeps, authorId: string, key: string, requestHash: string): Promise<Post | null> {
  const earlier = await findIdempotentPost(deps.db, authorId, key);
  if (!earlier) return null;
  if (earlier.request_hash !== requestHash) {
    throw new ApiError("validation_failed", "This Idempotency-Key was used for a different request.", {
      errors: [{ path: "Idempotency-Key", message: "reused with another body" }],
    });
  }
  const post = await findPost(deps.db, earlier.resource_id);
  if (!post) throw notFound("post");
  const [hydrated] = await hydratePosts(deps, [post], authorId);
  return hydrated ?? null;
}

export async function getPost(deps: PostsDeps, viewerId: string | null, postId: string, staff = false): Promise<Post> {
  const { post } = await visiblePost(deps, viewerId, postId, staff);
  const [hydrated] = await hydratePosts(deps, [post], viewerId, staff);
  if (!hydrated) throw notFound("post");
  return hydrated;
}

/** The author's own post, or 404 (for anyone else, exactly as if it did not exist). */
async function ownPost(deps: PostsDeps, authorId: string, postId: string): Promise<PostRow> {
  const post = await findPost(deps.db, postId);
  if (!post || post.author_id !== authorId) throw notFound("post");
  return post;
}

/** An edit tells only newly mentioned accounts: the notify consumer writes one mention per person and post. */
export async function editCaption(deps: PostsDeps, authorId: string, postId: string, caption: string): Promise<Post> {
  await ownPost(deps, authorId, postId);
  const { tags, mentions } = parseCaption(caption);
  const now = deps.clock.now();
  // A new caption is a new version: checked again (docs/moderation.md).
  const notify = deps.outbox.stage([
    ...mentionEvent(authorId, postId, mentions, now),
    ...moderationCheck(deps.config, "post", postId),
  ]);
  await updateCaption(deps.db, { id: postId, caption, tags, mentions, now: now.toISOString() }, notify);
  await deps.outbox.deliver(notify.ids);
  return getPost(deps, authorId, postId);
}

export async function deletePost(deps: PostsDeps, authorId: string, postId: string): Promise<void> {
  await ownPost(deps, authorId, postId);
  const { deleted, jobIds } = await softDeletePost(
    deps.db,
    { id: postId, authorId, now: deps.clock.now().toISOString() },
    deps.outbox,
  );
  if (deleted) {
    await invalidateFeeds(deps.cache, [authorId]);
    await deps.outbox.deliver(jobIds);
  }
}

/** The clean-up job: idempotent, resumable (the post row goes last). */
export async function purgePost(deps: Pick<Platform, "db" | "store" | "timelines">, postId: string): Promise<void> {
  const purged = await purgePostRows(deps.db, postId);
  if (!purged) return;
  for (const m of purged.mediaKeys) await deps.store.deletePrefix(`media/${m.ownerId}/${m.id}/`);
  // Out of every timeline (reads already skip it: this keeps ids of erased posts from lingering).
  await deps.timelines.removePost(postId);
  await deletePostRow(deps.db, postId);
}

/** Which audiences of an author's posts the viewer may see. */
export function visibleAudiences(relation: Relation): Audience[] {
  return (["public", "followers", "close_friends"] as const).filter((a) => canSeeContent(relation, a));
}

/** The profile grid: newest first; 404 where the policy hides the account's content. */
export async function listUserPosts(deps: PostsDeps, viewerId: string | null, username: string, page: PageArgs) {
  const author = await findUserByUsername(deps.db, username);
  if (!author) throw notFound("user");
  const relation = await loadRelation(deps.db, viewerId, author);
  if (!canSeeAccountContent(relation)) throw notFound("user");
  const list = `posts:${author.id}`;
  const secret = deps.config.signingSecret;
  const before = await cursorPosition(secret, list, page.cursor);
  const rows = await listAuthorPosts(deps.db, {
    authorId: author.id,
    viewerId,
    audiences: visibleAudiences(relation),
    before,
    limit: page.limit + 1,
  });
  const split = await splitPage(rows, { limit: page.limit, secret, list, key: (p) => [p.id] });
  return { items: await hydratePosts(deps, split.rows, viewerId), next_cursor: split.next_cursor };
}
