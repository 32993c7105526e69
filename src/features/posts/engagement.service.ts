import type { z } from "@hono/zod-openapi";
import { cursorPosition, splitPage, toPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import { type Job, moderationCheck } from "../../platform/jobs";
import { canSeeContent, canSeeModerated } from "../../policy";
import { loadRelations } from "../graph/relations.repo";
import { publishPostComment, publishPostCommentsRemoved } from "../live/live.service";
import { parseUserSummary, type SummaryDeps } from "../users/user-summary";
import {
  addComment,
  type CommentRow,
  commentsPage,
  deleteComment,
  findComment,
  findCommentView,
  like,
  likersPage,
  likeState,
  savedPage,
  setSaved,
  threadIds,
  unlike,
} from "./engagement.repo";
import type { HydrateDeps } from "./posts.hydrate";
import { hydratePosts } from "./posts.hydrate";
import { postsByIds } from "./posts.repo";
import { type CommentSchema, type CreateCommentSchema, moderationMark } from "./posts.schema";
import { visiblePost } from "./posts.service";

type PageArgs = { cursor?: string; limit: number };
/** Likes and comments also record their notify events (the outbox). */
type EngagementDeps = HydrateDeps & Pick<Platform, "outbox" | "realtime">;
type Comment = z.infer<typeof CommentSchema>;

/**
 * Like or unlike: only a post the caller may see (a block either way hides it: 404). A new like
 * records its notify event in the same batch (the author's own like tells nobody).
 */
export async function setLiked(deps: EngagementDeps, userId: string, postId: string, liked: boolean) {
  const { post } = await visiblePost(deps, userId, postId);
  const now = deps.clock.now();
  if (liked) {
    const event: Job[] =
      post.author_id === userId
        ? []
        : [{ type: "notify", event: { kind: "like", actor_id: userId, post_id: postId, at: now.toISOString() } }];
    const ids = await like(
      deps.db,
      { postId, userId, id: newId(now.getTime()), now: now.toISOString() },
      deps.outbox,
      event,
    );
    await deps.outbox.deliver(ids);
  } else {
    await unlike(deps.db, postId, userId);
  }
  return likeState(deps.db, postId, userId);
}

export async function listLikers(deps: HydrateDeps, viewerId: string | null, postId: string, page: PageArgs) {
  await visiblePost(deps, viewerId, postId);
  const secret = deps.config.signingSecret;
  const list = `likes:${postId}`;
  const rows = await likersPage(
    deps.db,
    postId,
    viewerId,
    await cursorPosition(secret, list, page.cursor),
    page.limit + 1,
  );
  return toPage(rows, {
    limit: page.limit,
    secret,
    list,
    key: (r) => [r.edge_id],
    map: (r) => parseUserSummary(deps, r.user),
  });
}

export async function setSavedState(deps: HydrateDeps, userId: string, postId: string, saved: boolean) {
  await visiblePost(deps, userId, postId);
  const now = deps.clock.now();
  await setSaved(deps.db, { postId, userId, id: newId(now.getTime()), now: now.toISOString(), saved });
  return { saved };
}

/** Saved posts, newest save first; posts the caller may no longer see are left out. */
export async function listSaved(deps: HydrateDeps, userId: string, page: PageArgs) {
  const secret = deps.config.signingSecret;
  const list = `saved:${userId}`;
  const rows = await savedPage(deps.db, userId, await cursorPosition(secret, list, page.cursor), page.limit + 1);
  const split = await splitPage(rows, { limit: page.limit, secret, list, key: (r) => [r.save_id] });
  const posts = await postsByIds(
    deps.db,
    userId,
    split.rows.map((r) => r.post_id),
  );
  const relations = await loadRelations(
    deps.db,
    userId,
    posts.map((p) => p.author_id),
  );
  const visible = new Map(
    posts
      .filter((p) => {
        const relation = relations.get(p.author_id);
        return relation !== undefined && canSeeContent(relation, p.audience);
      })
      .map((p) => [p.id, p]),
  );
  const ordered = split.rows.flatMap((r) => {
    const post = visible.get(r.post_id);
    return post ? [post] : [];
  });
  return { items: await hydratePosts(deps, ordered, userId), next_cursor: split.next_cursor };
}

const toComment = async (deps: SummaryDeps, r: CommentRow): Promise<Comment> => ({
  id: r.id,
  post_id: r.post_id,
  author: await parseUserSummary(deps, r.author),
  body: r.body,
  reply_to: r.parent_id,
  reply_count: r.reply_count,
  moderation: moderationMark(r),
  created_at: r.created_at,
});

/**
 * Comments are limited per account (`limits.comment`, 30 a minute; docs/security.md D6). The
 * notify event (the post's author, the replied-to author, whoever the comment mentions) is stored
 * with the comment.
 */
export async function createComment(
  deps: EngagementDeps & Pick<Platform, "limits">,
  authorId: string,
  postId: string,
  input: z.infer<typeof CreateCommentSchema>,
): Promise<Comment> {
  await enforceLimit(deps.limits.comment, authorId);
  await visiblePost(deps, authorId, postId);
  let parentId: string | null = null;
  if (input.reply_to !== undefined) {
    const parent = await findComment(deps.db, input.reply_to);
    // A hidden comment is out of every list, its author's too: there is no thread to join.
    const listed =
      parent !== undefined &&
      canSeeModerated(
        { self: parent.author_id === authorId, staff: false },
        { hidden: parent.hidden_at !== null, authorSuspended: false },
        "list",
      );
    if (!parent || !listed || parent.post_id !== postId) {
      throw new ApiError("validation_failed", "reply_to is not a comment on this post.", {
        errors: [{ path: "reply_to", message: "unknown comment" }],
      });
    }
    // One level of replies: answering a reply joins its thread.
    parentId = parent.parent_id ?? parent.id;
  }
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const event: Job = {
    type: "notify",
    event: { kind: "comment", actor_id: authorId, comment_id: id, at: now.toISOString() },
  };
  const jobIds = await addComment(
    deps.db,
    { id, postId, authorId, parentId, body: input.body, now: now.toISOString() },
    deps.outbox,
    [event, ...moderationCheck(deps.config, "comment", id)],
  );
  await deps.outbox.deliver(jobIds);
  const row = await findCommentView(deps.db, id);
  // The insert finds no live post when it was deleted in the meantime.
  if (!row) throw notFound("post");
  const comment = await toComment(deps, row);
  // Viewers of the post's live comments see it now that the batch has committed.
  await publishPostComment(deps, comment);
  return comment;
}

export async function listComments(
  deps: HydrateDeps,
  viewerId: string | null,
  postId: string,
  args: PageArgs & { reply_to?: string },
) {
  await visiblePost(deps, viewerId, postId);
  const parentId = args.reply_to ?? null;
  const secret = deps.config.signingSecret;
  const list = `comments:${postId}:${parentId ?? ""}`;
  const after = await cursorPosition(secret, list, args.cursor);
  const rows = await commentsPage(deps.db, { postId, parentId, viewerId, after, limit: args.limit + 1 });
  return toPage(rows, { limit: args.limit, secret, list, key: (r) => [r.id], map: (r) => toComment(deps, r) });
}

/** By the comment's author or the post's author; anyone else gets 404. */
export async function removeComment(deps: EngagementDeps, userId: string, commentId: string): Promise<void> {
  const comment = await findComment(deps.db, commentId);
  if (!comment) throw notFound("comment");
  const { post } = await visiblePost(deps, userId, comment.post_id).catch(() => {
    throw notFound("comment");
  });
  if (comment.author_id !== userId && post.author_id !== userId) throw notFound("comment");
  const thread = await threadIds(deps.db, comment.id);
  await deleteComment(deps.db, { id: comment.id, postId: comment.post_id, parentId: comment.parent_id });
  await publishPostCommentsRemoved(deps, comment.post_id, thread);
}
