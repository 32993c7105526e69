import { eq, inArray } from "drizzle-orm";
import { comments, media, postMedia, posts, type SubjectType, stories, users } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { canSeeAccount } from "../../policy";
import { loadRelation } from "../graph/relations.repo";
import { roomKey, visibleLiveSession } from "../live/live.service";
import { findComment } from "../posts/engagement.repo";
import { visiblePost } from "../posts/posts.service";
import { getStory } from "../stories/stories.service";
import type { SubjectRef } from "./moderation.schema";

/*
 * The six kinds of subject behind one interface (docs/moderation.md): who owns it, what it says
 * (for the snapshot and the review screen), whether it is hidden, and how to hide or restore it.
 * Posts, comments, stories and accounts live in D1; messages in their conversation's ChatRoom and
 * live comments in their session's LiveRoom, located by `context_id`.
 */

export type SubjectDeps = Pick<Platform, "db" | "config" | "clock" | "origin" | "realtime" | "jobs" | "outbox">;

/** A subject as stored now, for staff (hidden or not). */
export interface SubjectContent {
  type: SubjectType;
  id: string;
  ownerId: string;
  contextId: string | null;
  content: Record<string, unknown>;
  hidden: boolean;
  /** Image ids (posts and stories), for the blocklist. */
  mediaIds: string[];
}

/**
 * The subject as `reporterId` may see it, or 404 (the same 404 as for something that does not
 * exist): a post, comment or story the reporter can open, an account not behind a block, a
 * message of a conversation the reporter belongs to, a comment of a session the reporter may see.
 */
export async function resolveForReporter(
  deps: SubjectDeps,
  reporterId: string,
  ref: SubjectRef,
): Promise<SubjectContent> {
  switch (ref.type) {
    case "post":
      await visiblePost(deps, reporterId, ref.id);
      break;
    case "comment": {
      const comment = await findComment(deps.db, ref.id);
      if (!comment) throw notFound("comment");
      await visiblePost(deps, reporterId, comment.post_id);
      break;
    }
    case "story":
      await getStory({ ...deps }, reporterId, ref.id);
      break;
    case "user": {
      const user = await deps.db.query.users.findFirst({ where: eq(users.id, ref.id) });
      // The policy's account rule: not across a block, not gone (suspended or deleted).
      if (!user || !canSeeAccount(await loadRelation(deps.db, reporterId, user))) throw notFound("user");
      break;
    }
    case "message": {
      const message = await deps.realtime
        .room(ref.conversation_id)
        .findMessage(ref.conversation_id, reporterId, ref.id);
      if (!message || message.hidden) throw notFound("message");
      return {
        type: "message",
        id: ref.id,
        ownerId: message.sender,
        contextId: ref.conversation_id,
        content: { body: message.body, created_at: message.created_at, conversation_id: ref.conversation_id },
        hidden: false,
        mediaIds: [],
      };
    }
    case "live_comment": {
      await visibleLiveSession(deps, reporterId, ref.live_id);
      const comment = await deps.realtime.liveRoom(roomKey(ref.live_id)).findComment(roomKey(ref.live_id), ref.id);
      if (!comment || comment.removed) throw notFound("live comment");
      return {
        type: "live_comment",
        id: ref.id,
        ownerId: comment.user.id,
        contextId: ref.live_id,
        content: { body: comment.body, created_at: comment.created_at, live_id: ref.live_id },
        hidden: false,
        mediaIds: [],
      };
    }
  }
  const stored = await contentOf(deps, ref.type, ref.id, null);
  if (!stored || stored.hidden) throw notFound(ref.type);
  return stored;
}

/** The subject as stored now, hidden or not; null when it no longer exists. */
export async function contentOf(
  deps: SubjectDeps,
  type: SubjectType,
  id: string,
  contextId: string | null,
): Promise<SubjectContent | null> {
  const base = { type, id, contextId };
  switch (type) {
    case "post": {
      const row = await deps.db.query.posts.findFirst({ where: eq(posts.id, id) });
      if (!row || row.deleted_at !== null) return null;
      const images = await deps.db
        .select({ id: postMedia.media_id })
        .from(postMedia)
        .where(eq(postMedia.post_id, id))
        .orderBy(postMedia.position);
      return {
        ...base,
        ownerId: row.author_id,
        content: { caption: row.caption, audience: row.audience, location: row.location, created_at: row.created_at },
        hidden: row.hidden_at !== null,
        mediaIds: images.map((m) => m.id),
      };
    }
    case "comment": {
      const row = await deps.db.query.comments.findFirst({ where: eq(comments.id, id) });
      if (!row) return null;
      return {
        ...base,
        ownerId: row.author_id,
        content: { body: row.body, post_id: row.post_id, parent_id: row.parent_id, created_at: row.created_at },
        hidden: row.hidden_at !== null,
        mediaIds: [],
      };
    }
    case "story": {
      const row = await deps.db.query.stories.findFirst({ where: eq(stories.id, id) });
      if (!row || row.deleted_at !== null) return null;
      return {
        ...base,
        ownerId: row.author_id,
        content: {
          caption: row.caption,
          audience: row.audience,
          created_at: row.created_at,
          expires_at: row.expires_at,
        },
        hidden: row.hidden_at !== null,
        mediaIds: [row.media_id],
      };
    }
    case "user": {
      const row = await deps.db.query.users.findFirst({ where: eq(users.id, id) });
      if (!row) return null;
      return {
        ...base,
        ownerId: row.id,
        content: { username: row.username, display_name: row.display_name, bio: row.bio, created_at: row.created_at },
        hidden: row.bio_hidden_at !== null,
        mediaIds: row.avatar_media_id ? [row.avatar_media_id] : [],
      };
    }
    case "message": {
      if (contextId === null) return null;
      const message = await deps.realtime.room(contextId).findMessage(contextId, null, id);
      if (!message) return null;
      return {
        ...base,
        ownerId: message.sender,
        content: { body: message.body, created_at: message.created_at, conversation_id: contextId },
        hidden: message.hidden,
        mediaIds: [],
      };
    }
    case "live_comment": {
      if (contextId === null) return null;
      const comment = await deps.realtime.liveRoom(roomKey(contextId)).findComment(roomKey(contextId), id);
      if (!comment) return null;
      return {
        ...base,
        ownerId: comment.user.id,
        content: { body: comment.body, created_at: comment.created_at, live_id: contextId },
        hidden: comment.removed,
        mediaIds: [],
      };
    }
  }
}

/** The images' hashes, for the review screen's blocklist button. */
export async function mediaHashes(deps: Pick<Platform, "db">, ids: string[]) {
  if (ids.length === 0) return [];
  return deps.db
    .select({ id: media.id, sha256: media.sha256, dhash: media.dhash })
    .from(media)
    .where(inArray(media.id, ids));
}

/**
 * The D1 statements that hide (reason) or restore (null) a subject stored in D1, for the action's
 * batch; empty for subjects that live in a Durable Object (`setHiddenInObject` after the batch).
 */
export function hideStatements(
  deps: Pick<Platform, "db">,
  subject: SubjectContent,
  reason: string | null,
  now: string,
) {
  const { db } = deps;
  const set = { hidden_at: reason === null ? null : now, hidden_reason: reason };
  switch (subject.type) {
    case "post":
      return [db.update(posts).set(set).where(eq(posts.id, subject.id))];
    case "comment":
      return [db.update(comments).set(set).where(eq(comments.id, subject.id))];
    case "story":
      return [db.update(stories).set(set).where(eq(stories.id, subject.id))];
    case "user":
      return [db.update(users).set({ bio_hidden_at: set.hidden_at }).where(eq(users.id, subject.id))];
    case "message":
    case "live_comment":
      return [];
  }
}

/** Hides or restores a message or a live comment in its Durable Object (after the action's batch). */
export async function setHiddenInObject(deps: Pick<Platform, "realtime">, subject: SubjectContent, hidden: boolean) {
  const context = subject.contextId;
  if (context === null) return;
  if (subject.type === "message") {
    await deps.realtime.room(context).setMessageHidden(context, subject.id, hidden);
  } else if (subject.type === "live_comment") {
    await deps.realtime.liveRoom(roomKey(context)).setCommentRemoved(roomKey(context), subject.id, hidden);
  }
}

export const cannotReportOwn = () =>
  new ApiError("validation_failed", "You cannot report your own content or account.", {
    errors: [{ path: "target", message: "is your own" }],
  });
