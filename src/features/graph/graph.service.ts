import type { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema";
import { cursorPosition, toPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import type { Job } from "../../platform/jobs";
import { canFollow, canSeeAccount, canSeeAccountContent, isAccountShown } from "../../policy";
import { directBlockChanged } from "../chat/chat.service";
import { backfill, invalidateFeeds } from "../feed/feed.service";
import { liveBlockChanged } from "../live/live.service";
import { parseUserSummary } from "../users/user-summary";
import { findUserByUsername } from "../users/users.repo";
import {
  addListEntry,
  approveRequests,
  block,
  denyRequest,
  follow,
  listUsers,
  relationshipFlags,
  removeListEntry,
  requestFollow,
  type UserListKind,
  unblock,
  unfollow,
} from "./graph.repo";
import type { FollowStateSchema, UserPageSchema } from "./graph.schema";
import { accountGone, loadRelation } from "./relations.repo";

/**
 * Follows are limited per account (`limits.follow`, 100 a minute, Mastodon's figure); a removed edge
 * tidies home feeds (timeline rows through an outbox job, cached first pages at once); a block closes the
 * pair's 1:1 conversation, open sockets included; `config` has the fan-out threshold for a new
 * follow's timeline backfill.
 */
export type GraphDeps = Pick<
  Platform,
  "db" | "clock" | "config" | "limits" | "outbox" | "cache" | "realtime" | "timelines" | "origin"
>;

/**
 * `reader` stops following `author`: the edge goes, and the job that takes the author's posts out
 * of the reader's timeline is stored in the same batch (then sent); the cached page is dropped.
 */
async function endFollow(deps: GraphDeps, reader: string, author: string): Promise<void> {
  const unlink = deps.outbox.stage([{ type: "feed.unlink", user_id: reader, author_id: author }]);
  await unfollow(deps.db, reader, author, unlink);
  await deps.outbox.deliver(unlink.ids);
  await invalidateFeeds(deps.cache, [reader]);
}

type FollowState = z.infer<typeof FollowStateSchema>;
type UserPage = z.infer<typeof UserPageSchema>;

/** The account named by `username`, or 404; also 404 when a block stands between the two. */
async function visibleUser(deps: GraphDeps, viewerId: string | null, username: string): Promise<UserRow> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw notFound("user");
  if (!canSeeAccount(await loadRelation(deps.db, viewerId, user))) throw notFound("user");
  return user;
}

/** The account named by `username` regardless of blocks (to undo one's own block, say), or 404. */
async function existingUser(deps: GraphDeps, username: string): Promise<UserRow> {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw notFound("user");
  return user;
}

function notYourself(viewerId: string, target: UserRow, action: string): void {
  if (viewerId === target.id) {
    throw new ApiError("validation_failed", `You cannot ${action} yourself.`, {
      errors: [{ path: "username", message: `cannot ${action} yourself` }],
    });
  }
}

async function followState(deps: GraphDeps, viewerId: string, targetId: string): Promise<FollowState> {
  const flags = await relationshipFlags(deps.db, viewerId, targetId);
  return { state: flags.following ? "following" : flags.requested ? "requested" : "none" };
}

/** Follows a public account at once; asks a private one. The state returned is read back from D1. */
export async function followUser(deps: GraphDeps, viewerId: string, username: string): Promise<FollowState> {
  await enforceLimit(deps.limits.follow, `follow:${viewerId}`);
  const target = await visibleUser(deps, viewerId, username);
  notYourself(viewerId, target, "follow");
  const relation = await loadRelation(deps.db, viewerId, target);
  if (!canFollow(relation)) throw notFound("user");
  if (!relation.following) {
    const now = deps.clock.now();
    const args = { now: now.toISOString() };
    const kind = target.is_private ? "follow_request" : "follow";
    const event: Job[] = [
      { type: "notify", event: { kind, actor_id: viewerId, recipient_id: target.id, at: args.now } },
    ];
    if (target.is_private) {
      const ids = await requestFollow(
        deps.db,
        { requesterId: viewerId, targetId: target.id, id: newId(now.getTime()), ...args },
        deps.outbox,
        event,
      );
      await deps.outbox.deliver(ids);
    } else {
      const ids = await follow(
        deps.db,
        { followerId: viewerId, followeeId: target.id, edgeId: newId(now.getTime()), ...args },
        deps.outbox,
        event,
      );
      await deps.outbox.deliver(ids);
      await backfill(deps, viewerId, target.id);
    }
  }
  return followState(deps, viewerId, target.id);
}

export async function unfollowUser(deps: GraphDeps, viewerId: string, username: string): Promise<FollowState> {
  const target = await visibleUser(deps, viewerId, username);
  await endFollow(deps, viewerId, target.id);
  return { state: "none" };
}

/** An owner drops someone from their followers. */
export async function removeFollower(deps: GraphDeps, ownerId: string, username: string): Promise<void> {
  const follower = await visibleUser(deps, ownerId, username);
  await endFollow(deps, follower.id, ownerId);
}

export async function approveFollowRequest(deps: GraphDeps, ownerId: string, username: string): Promise<void> {
  const requester = await existingUser(deps, username);
  const now = deps.clock.now().toISOString();
  const accepted: Job = {
    type: "notify",
    event: { kind: "follow_accepted", actor_id: ownerId, recipient_id: requester.id, at: now },
  };
  const { approved, jobIds } = await approveRequests(
    deps.db,
    { targetId: ownerId, requesterId: requester.id, now },
    { outbox: deps.outbox, jobs: [accepted] },
  );
  if (approved === 0) throw notFound("follow request");
  await deps.outbox.deliver(jobIds);
  await backfill(deps, requester.id, ownerId);
}

export async function denyFollowRequest(deps: GraphDeps, ownerId: string, username: string): Promise<void> {
  const requester = await existingUser(deps, username);
  if (!(await denyRequest(deps.db, ownerId, requester.id))) throw notFound("follow request");
}

export async function setBlocked(deps: GraphDeps, viewerId: string, username: string, blocked: boolean) {
  const target = await existingUser(deps, username);
  notYourself(viewerId, target, "block");
  // Unblocking works on any account (to undo one's own block); blocking one that is gone for
  // everyone (suspended or deleted) answers the 404 every other read of it answers.
  if (blocked && !isAccountShown({ self: false, ownerSuspended: accountGone(target) })) throw notFound("user");
  if (blocked) {
    const now = deps.clock.now();
    await block(deps.db, {
      blockerId: viewerId,
      blockedId: target.id,
      id: newId(now.getTime()),
      now: now.toISOString(),
    });
  } else {
    await unblock(deps.db, viewerId, target.id);
  }
  // After the D1 write, which is what every later request checks. If this call fails the request
  // fails too, and repeating the (idempotent) block finishes the job.
  await directBlockChanged(deps, viewerId, target.id, blocked);
  // Either one's open live session closes the other's sockets at once.
  if (blocked) await liveBlockChanged(deps, viewerId, target.id);
  return { blocking: (await relationshipFlags(deps.db, viewerId, target.id)).blocking };
}

async function setListEntry(
  deps: GraphDeps,
  list: "mutes" | "close_friends",
  viewerId: string,
  username: string,
  on: boolean,
) {
  const target = on ? await visibleUser(deps, viewerId, username) : await existingUser(deps, username);
  notYourself(viewerId, target, list === "mutes" ? "mute" : "add to close friends");
  if (on) {
    const now = deps.clock.now();
    await addListEntry(deps.db, list, {
      ownerId: viewerId,
      otherId: target.id,
      id: newId(now.getTime()),
      now: now.toISOString(),
    });
  } else {
    await removeListEntry(deps.db, list, viewerId, target.id);
  }
  // Muting (and close-friend changes, which move close-friends posts) change what a feed shows.
  await invalidateFeeds(deps.cache, [viewerId]);
  return relationshipFlags(deps.db, viewerId, target.id);
}

export async function setMuted(deps: GraphDeps, viewerId: string, username: string, on: boolean) {
  return { muting: (await setListEntry(deps, "mutes", viewerId, username, on)).muting };
}

export async function setCloseFriend(deps: GraphDeps, viewerId: string, username: string, on: boolean) {
  return { close_friend: (await setListEntry(deps, "close_friends", viewerId, username, on)).close_friend };
}

interface PageArgs {
  cursor?: string;
  limit: number;
}

async function pageOfUsers(
  deps: GraphDeps,
  kind: UserListKind,
  ownerId: string,
  viewerId: string | null,
  page: PageArgs,
): Promise<UserPage> {
  const list = `${kind}:${ownerId}`;
  const before = await cursorPosition(deps.config.signingSecret, list, page.cursor);
  const rows = await listUsers(deps.db, { kind, ownerId, viewerId, before, limit: page.limit + 1 });
  return toPage(rows, {
    limit: page.limit,
    secret: deps.config.signingSecret,
    list,
    key: (r) => [r.edge_id],
    map: (r) => parseUserSummary(deps, r.user),
  });
}

/** Followers or following of an account: 404 where the policy hides the account's content. */
export async function listConnections(
  deps: GraphDeps,
  viewerId: string | null,
  username: string,
  kind: "followers" | "following",
  page: PageArgs,
): Promise<UserPage> {
  const owner = await findUserByUsername(deps.db, username);
  if (!owner || !canSeeAccountContent(await loadRelation(deps.db, viewerId, owner))) throw notFound("user");
  return pageOfUsers(deps, kind, owner.id, viewerId, page);
}

/** The caller's own lists: pending requests, close friends, blocked and muted accounts. */
export function listOwn(
  deps: GraphDeps,
  ownerId: string,
  kind: "follow_requests" | "close_friends" | "blocks" | "mutes",
  page: PageArgs,
): Promise<UserPage> {
  return pageOfUsers(deps, kind, ownerId, ownerId, page);
}
