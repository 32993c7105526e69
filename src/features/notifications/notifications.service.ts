import type { NotificationType } from "../../db/schema";
import { cursorPosition, splitPage } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import type { Platform } from "../../platform";
import { idFloor, newId } from "../../platform/ids";
import type { NotifyEvent } from "../../platform/jobs";
import { canNotify, canSeeContent, relationFromFacts } from "../../policy";
import { relationshipFlags } from "../graph/graph.repo";
import { findSession } from "../live/live.repo";
import { thumbnailUrl } from "../media/media.service";
import { findComment, findCommentView } from "../posts/engagement.repo";
import { findPost, postsWithFacts } from "../posts/posts.repo";
import { MAX_MENTIONS } from "../posts/posts.schema";
import { extractMentions } from "../posts/tags";
import { deliverPush, type PushMessage, subscriptionIdsOf } from "../push/push.service";
import { toUserSummary, type UserSummaryRow } from "../users/user-summary";
import { findUserById } from "../users/users.repo";
import {
  actorFacts,
  advanceMarker,
  type Folder,
  findByDedupe,
  findNotification,
  firstImages,
  type GroupRow,
  getMarker,
  getSettingsJson,
  groupsPage,
  insertNotification,
  isRecipientOf,
  liveFollowerChunk,
  liveTargets,
  markDelivered,
  mentionedInPost,
  type NewNotification,
  newestBucket,
  saveSettingsJson,
  trimBefore,
  unreadGroups,
  userIdsByUsername,
} from "./notifications.repo";
import {
  DEFAULT_SETTINGS,
  type NotificationGroup,
  type NotificationSettings,
  NotificationSettingsPatchSchema,
  TUNABLE_TYPES,
} from "./notifications.schema";

/*
 * Notifications (docs/notifications.md). Features record what happened in the batch of the fact
 * (a `notify` job through the outbox); the consumer below decides who is told, applies the policy
 * and the recipient's settings, groups, stores, and delivers live (UserHub) and by Web Push.
 * Grouping follows Mastodon's grouped notifications: likes of one post and follows share a group
 * while they fall within 12 hours of the group's first hour bucket; everything else is one group
 * per notification.
 */

export type NotifyDeps = Pick<Platform, "db" | "clock" | "config" | "realtime" | "jobs" | "origin">;
export type ReadDeps = Pick<Platform, "db" | "clock" | "config" | "origin">;

const HOUR_MS = 3_600_000;
/** A group spans at most this many hour buckets (Mastodon's MAXIMUM_GROUP_SPAN_HOURS). */
export const MAX_GROUP_SPAN_HOURS = 12;
/** Accounts younger than this count as strangers. */
export const NEW_ACCOUNT_DAYS = 30;
/** Notifications older than this are trimmed by the hourly cron. */
export const RETENTION_DAYS = 90;

const GROUPED_TYPES: ReadonlySet<NotificationType> = new Set(["like", "follow"]);
const TUNABLE: ReadonlySet<NotificationType> = new Set(TUNABLE_TYPES);

/** One person to tell about one fact. `source` makes an ungrouped notification unique at its source. */
type Candidate = Pick<
  NewNotification,
  "recipientId" | "type" | "actorId" | "postId" | "commentId" | "liveId" | "text"
> & {
  source: string;
};

const hourBucket = (at: Date) => Math.floor(at.getTime() / HOUR_MS);

type LiveEvent = Extract<NotifyEvent, { kind: "live" }>;
/** The events that name one fact and whose recipients are read in one go. */
type FactEvent = Exclude<NotifyEvent, LiveEvent>;

/**
 * Followers told per `live` message. Each new recipient costs about 11 D1 queries (the policy,
 * settings, the insert, the group for the socket frame, the unread count, push subscriptions), and
 * D1 allows 1,000 queries per invocation (a whole queue batch of up to 4 messages, wrangler.toml):
 * 20 keeps one chunk near 220, as many as a comment with 20 mentions costs (docs/notifications.md).
 */
export const LIVE_NOTIFY_CHUNK = 20;

/** Who is told about the fact, read from D1 now: a fact undone in the meantime tells nobody. */
async function candidatesFor(deps: NotifyDeps, event: FactEvent): Promise<Candidate[]> {
  const base = { actorId: event.actor_id, postId: null, commentId: null, liveId: null, text: null };
  const bucket = hourBucket(new Date(event.at));
  switch (event.kind) {
    case "like": {
      const post = await findPost(deps.db, event.post_id);
      if (!post) return [];
      return [
        {
          ...base,
          recipientId: post.author_id,
          type: "like",
          postId: post.id,
          source: `like:${post.id}:${event.actor_id}:${bucket}`,
        },
      ];
    }
    case "comment": {
      const comment = await findCommentView(deps.db, event.comment_id);
      const post = comment ? await findPost(deps.db, comment.post_id) : null;
      if (!comment || !post) return [];
      const at = { ...base, postId: post.id, commentId: comment.id };
      const out: Candidate[] = [];
      if (comment.parent_id !== null) {
        const parent = await findComment(deps.db, comment.parent_id);
        if (parent) out.push({ ...at, recipientId: parent.author_id, type: "reply", source: `reply:${comment.id}` });
      }
      if (!out.some((c) => c.recipientId === post.author_id)) {
        out.push({ ...at, recipientId: post.author_id, type: "comment", source: `comment:${comment.id}` });
      }
      const mentioned = await userIdsByUsername(deps.db, extractMentions(comment.body).slice(0, MAX_MENTIONS));
      for (const id of mentioned) {
        if (!out.some((c) => c.recipientId === id)) {
          out.push({ ...at, recipientId: id, type: "mention", source: `mention:comment:${comment.id}` });
        }
      }
      return out;
    }
    case "post": {
      const post = await findPost(deps.db, event.post_id);
      if (!post) return [];
      return (await mentionedInPost(deps.db, post.id)).map((id) => ({
        ...base,
        recipientId: id,
        type: "mention",
        postId: post.id,
        source: `mention:post:${post.id}`,
      }));
    }
    case "follow":
    case "follow_request":
    case "follow_accepted": {
      // Only while it still holds: a withdrawn request or an undone follow tells nobody.
      const accepted = event.kind === "follow_accepted";
      const [from, to] = accepted ? [event.recipient_id, event.actor_id] : [event.actor_id, event.recipient_id];
      const flags = await relationshipFlags(deps.db, from, to);
      if (!(event.kind === "follow_request" ? flags.requested : flags.following)) return [];
      return [
        {
          ...base,
          recipientId: event.recipient_id,
          type: event.kind,
          source: `${event.kind}:${event.actor_id}:${bucket}`,
        },
      ];
    }
    case "direct":
      return [
        {
          recipientId: event.recipient_id,
          type: event.type,
          actorId: event.actor_id,
          postId: event.post_id,
          commentId: null,
          liveId: null,
          text: event.text,
          source: `${event.type}:${event.source_id}`,
        },
      ];
  }
}

async function settingsOf(deps: Pick<Platform, "db">, userId: string): Promise<NotificationSettings> {
  const json = await getSettingsJson(deps.db, userId);
  if (json === null) return DEFAULT_SETTINGS;
  // Stored settings were validated on write; a type added since then takes its default.
  const stored = NotificationSettingsPatchSchema.safeParse(JSON.parse(json));
  return { ...DEFAULT_SETTINGS, ...(stored.success ? stored.data : {}) };
}

/**
 * Where the candidate's notification goes, or null when it must not exist: the policy (blocks,
 * mutes, one's own actions, a post the recipient cannot see), then the recipient's settings.
 */
async function folderFor(deps: NotifyDeps, c: Candidate): Promise<Folder | null> {
  let folder: Folder = "main";
  if (c.actorId !== null) {
    const facts = await actorFacts(deps.db, c.recipientId, c.actorId);
    if (!facts) return null;
    const self = c.actorId === c.recipientId;
    if (!canNotify({ self, blocked: facts.blocked === 1 }, facts.muted === 1)) return null;
    if (TUNABLE.has(c.type)) {
      const settings = await settingsOf(deps, c.recipientId);
      const choice = settings[c.type as (typeof TUNABLE_TYPES)[number]];
      const following = facts.following === 1;
      if (choice === "off" || (choice === "following" && !following)) return null;
      const youngSince = deps.clock.now().getTime() - NEW_ACCOUNT_DAYS * 24 * HOUR_MS;
      const stranger = !following || Date.parse(facts.actor_created_at) > youngSince;
      if (stranger && settings.strangers === "drop") return null;
      if (stranger && settings.strangers === "filter") folder = "filtered";
    }
  }
  if (c.postId !== null) {
    // `grid`: a hidden post still takes notifications for its author (a staff notice about it; a
    // like that is listed again once the post is restored); nobody else's.
    const [post] = await postsWithFacts(deps.db, c.recipientId, [c.postId], "grid");
    if (!post || !canSeeContent(relationFromFacts(c.recipientId, post.author_id, post), post.audience)) return null;
  }
  return folder;
}

/** The group a new notification joins, and what makes it unique for its recipient. */
async function placeIn(deps: NotifyDeps, c: Candidate, folder: Folder, id: string, at: Date) {
  const hour = hourBucket(at);
  if (folder === "main" && GROUPED_TYPES.has(c.type)) {
    const prefix = c.type === "like" ? `like-${c.postId}` : c.type;
    const open = await newestBucket(deps.db, c.recipientId, prefix);
    // Mastodon: join the newest group unless that would make it span more than 12 hours.
    const bucket = open !== null && hour < open + MAX_GROUP_SPAN_HOURS ? open : hour;
    const groupKey = `${prefix}-${bucket}`;
    // One notification per actor per group: like → unlike → like inside the group adds nothing.
    return { groupKey, prefix, bucket, dedupeKey: `${groupKey}:${c.actorId}` };
  }
  return { groupKey: `ungrouped-${id}`, prefix: "ungrouped", bucket: hour, dedupeKey: c.source };
}

/** Consumer of `notify`: idempotent, so a redelivered message writes nothing twice. */
export async function notify(deps: NotifyDeps, event: NotifyEvent): Promise<void> {
  if (event.kind === "live") return liveChunk(deps, event);
  await tell(deps, await candidatesFor(deps, event), new Date(event.at));
}

/**
 * One chunk of a `live_started` fan-out: the host's followers after the edge `event.after` who may
 * see the session (the posts' rule for its audience; blocks and mutes in `folderFor`), then the
 * next chunk through the queue. Only while the session is live: a chunk that runs after it ended
 * tells nobody and queues nothing. Idempotent: one dedupe key per recipient and session.
 */
async function liveChunk(deps: NotifyDeps, event: LiveEvent): Promise<void> {
  const session = await findSession(deps.db, event.session_id);
  if (session?.status !== "live" || session.host_id !== event.actor_id) return;
  const hostId = session.host_id;
  const chunk = await liveFollowerChunk(deps.db, { hostId, after: event.after, limit: LIVE_NOTIFY_CHUNK });
  const audience = chunk.filter((f) => canSeeContent(relationFromFacts(f.follower_id, hostId, f), session.audience));
  await tell(
    deps,
    audience.map((f) => ({
      recipientId: f.follower_id,
      type: "live_started" as const,
      actorId: hostId,
      postId: null,
      commentId: null,
      liveId: session.id,
      text: null,
      source: `live_started:${session.id}`,
    })),
    new Date(event.at),
  );
  const last = chunk[chunk.length - 1];
  if (chunk.length === LIVE_NOTIFY_CHUNK && last) {
    await deps.jobs.send({ type: "notify", event: { ...event, after: last.edge_id } });
  }
}

/** Stores and delivers one notification per candidate the policy and settings allow. */
async function tell(deps: NotifyDeps, candidates: Candidate[], at: Date): Promise<void> {
  for (const c of candidates) {
    const folder = await folderFor(deps, c);
    if (folder === null) continue;
    const now = deps.clock.now();
    const id = newId(now.getTime());
    const place = await placeIn(deps, c, folder, id, at);
    await insertNotification(deps.db, { ...c, ...place, id, folder, createdAt: at.toISOString() });
    // This call's row, or the one an earlier delivery of the message stored.
    const stored = await findByDedupe(deps.db, c.recipientId, place.dedupeKey);
    if (!stored || stored.delivered_at !== null) continue;
    if (stored.folder === "main") await deliver(deps, c.recipientId, stored.id, stored.group_key);
    await markDelivered(deps.db, stored.id, deps.clock.now().toISOString());
  }
}

/**
 * Live to the recipient's sockets (best effort: the list is the record, and a client that missed
 * the frame reads it there), then one Web Push job per subscribed browser (a failure throws, so the
 * message is retried and the delivery finished; the row stays undelivered until then).
 */
async function deliver(deps: NotifyDeps, recipientId: string, notificationId: string, groupKey: string) {
  try {
    // One marker read serves both the group's `unread` and the count.
    const lastRead = (await getMarker(deps.db, recipientId))?.last_read_id ?? null;
    const rows = await groupsPage(deps.db, {
      recipientId,
      folder: "main",
      types: null,
      before: null,
      limit: 1,
      groupKey,
    });
    const [group] = await toGroups(deps, recipientId, rows, lastRead);
    if (group) {
      const unread_count = await unreadGroups(deps.db, recipientId, lastRead);
      await deps.realtime.hub(recipientId).publishMany([{ type: "notification", group, unread_count }]);
    }
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", component: "notify", msg: "hub publish failed", err: String(err) }));
  }
  const subscriptions = await subscriptionIdsOf(deps, recipientId);
  await deps.jobs.sendAll(
    subscriptions.map((subscription_id) => ({ type: "push.send", subscription_id, notification_id: notificationId })),
  );
}

/** Group rows to API groups; a group about a post the recipient can no longer see is left out. */
/** `lastRead`: the caller's marker when it has already read it (undefined: read it here). */
async function toGroups(
  deps: ReadDeps,
  recipientId: string,
  rows: GroupRow[],
  lastRead?: string | null,
): Promise<NotificationGroup[]> {
  const postIds = [...new Set(rows.flatMap((r) => (r.post_id === null ? [] : [r.post_id])))];
  const liveIds = [...new Set(rows.flatMap((r) => (r.live_id === null ? [] : [r.live_id])))];
  const [posts, images, readUpTo, sessions] = await Promise.all([
    // `grid`: the author's own hidden post stays, for a moderation notice about it; every other
    // group about hidden content is withheld by the query (`withheld`).
    postIds.length === 0 ? [] : postsWithFacts(deps.db, recipientId, postIds, "grid"),
    firstImages(deps.db, postIds),
    lastRead === undefined ? getMarker(deps.db, recipientId).then((m) => m?.last_read_id ?? null) : lastRead,
    liveTargets(deps.db, recipientId, liveIds),
  ]);
  // A session the recipient may no longer see (its audience, a block) is left out, as a post is.
  const liveOf = new Map(
    sessions
      .filter((l) => canSeeContent(relationFromFacts(recipientId, l.host_id, l), l.audience))
      .map((l) => [l.id, { id: l.id, title: l.title, status: l.status }]),
  );
  const visible = new Set(
    posts.filter((p) => canSeeContent(relationFromFacts(recipientId, p.author_id, p), p.audience)).map((p) => p.id),
  );
  const imageOf = new Map(images.map((m) => [m.post_id, m]));
  const marker = readUpTo ?? "";
  const out: NotificationGroup[] = [];
  for (const r of rows) {
    if (r.post_id !== null && !visible.has(r.post_id)) continue;
    // About hidden content or a suspended account's, or every actor suspended: left out.
    if (r.withheld === 1) continue;
    const live = r.live_id === null ? null : liveOf.get(r.live_id);
    if (live === undefined) continue;
    const image = r.post_id === null ? undefined : imageOf.get(r.post_id);
    const actors = await Promise.all((JSON.parse(r.actors) as UserSummaryRow[]).map((a) => toUserSummary(deps, a)));
    // Suspended actors are dropped from the group (`actors` is read without them).
    out.push({
      group_key: r.group_key,
      type: r.type,
      actors,
      // A system or moderation notification has no actor: its group counts none.
      actor_count: actors.length === 0 ? 0 : r.count,
      post:
        r.post_id === null
          ? null
          : {
              id: r.post_id,
              thumbnail: image ? await thumbnailUrl(deps, { id: image.media_id, owner_id: image.owner_id }) : null,
              thumbhash: image?.thumbhash ?? null,
            },
      comment: r.comment_id === null ? null : { id: r.comment_id, excerpt: r.excerpt ?? "" },
      live,
      text: r.text,
      latest_at: r.latest_at,
      most_recent_notification_id: r.latest_id,
      unread: r.latest_id > marker,
    });
  }
  return out;
}

/** `GET /v1/notifications`: groups, newest activity first, keyset-paged by their latest notification. */
export async function listNotifications(
  deps: ReadDeps,
  userId: string,
  q: { cursor?: string; limit: number; types?: NotificationType[]; folder: Folder },
) {
  const types = q.types === undefined ? null : [...q.types].sort();
  const secret = deps.config.signingSecret;
  const list = `notifications:${userId}:${q.folder}:${types?.join(",") ?? "*"}`;
  const before = await cursorPosition(secret, list, q.cursor);
  const rows = await groupsPage(deps.db, { recipientId: userId, folder: q.folder, types, before, limit: q.limit + 1 });
  const split = await splitPage(rows, { limit: q.limit, secret, list, key: (r) => [r.latest_id] });
  return { items: await toGroups(deps, userId, split.rows), next_cursor: split.next_cursor };
}

export async function unreadCount(deps: Pick<Platform, "db">, userId: string): Promise<{ count: number }> {
  const marker = await getMarker(deps.db, userId);
  return { count: await unreadGroups(deps.db, userId, marker?.last_read_id ?? null) };
}

/** Moves the read marker forward to one of the caller's notifications; never backward. */
export async function markRead(deps: Pick<Platform, "db" | "clock">, userId: string, lastReadId: string) {
  if (!(await isRecipientOf(deps.db, userId, lastReadId))) {
    throw new ApiError("validation_failed", "last_read_id is not one of your notifications.", {
      errors: [{ path: "last_read_id", message: "not one of your notifications" }],
    });
  }
  await advanceMarker(deps.db, userId, lastReadId, deps.clock.now().toISOString());
  const marker = await getMarker(deps.db, userId);
  return { last_read_id: marker?.last_read_id ?? null, updated_at: marker?.updated_at ?? null };
}

export function getSettings(deps: Pick<Platform, "db">, userId: string): Promise<NotificationSettings> {
  return settingsOf(deps, userId);
}

export async function updateSettings(
  deps: Pick<Platform, "db" | "clock">,
  userId: string,
  patch: Partial<NotificationSettings>,
): Promise<NotificationSettings> {
  const next = { ...(await settingsOf(deps, userId)), ...patch };
  await saveSettingsJson(deps.db, userId, JSON.stringify(next), deps.clock.now().toISOString());
  return next;
}

const PUSH_VERBS: Record<NotificationType, string> = {
  like: "liked your post",
  comment: "commented on your post",
  reply: "replied to your comment",
  mention: "mentioned you",
  follow: "started following you",
  follow_request: "asked to follow you",
  follow_accepted: "accepted your follow request",
  live_started: "started a live video",
  moderation: "",
  system: "",
};

/**
 * What a Web Push says about a stored notification: who and what kind, never the post's caption,
 * a comment or an image. Null when it is gone (its post deleted, a block) or was filtered.
 */
export async function pushMessageFor(deps: Pick<Platform, "db">, notificationId: string): Promise<PushMessage | null> {
  const n = await findNotification(deps.db, notificationId);
  if (n?.folder !== "main") return null;
  const actor = n.actor_id === null ? undefined : await findUserById(deps.db, n.actor_id);
  let body = n.text ?? "";
  if (actor) {
    const [group] = await groupsPage(deps.db, {
      recipientId: n.recipient_id,
      folder: "main",
      types: null,
      before: null,
      limit: 1,
      groupKey: n.group_key,
    });
    const others = (group?.count ?? 1) - 1;
    const who = others > 0 ? `@${actor.username} and ${others} other${others === 1 ? "" : "s"}` : `@${actor.username}`;
    body = `${who} ${PUSH_VERBS[n.type]}`.trim();
  }
  return { title: "Edgegram", body, group_key: n.group_key, notification_id: n.id, url: "/notifications" };
}

/** The hourly trim: everything older than 90 days, a bounded number of indexed deletes a run. */
export async function trimNotifications(deps: Pick<Platform, "db" | "clock">): Promise<number> {
  const cutoff = idFloor(deps.clock.now().getTime() - RETENTION_DAYS * 24 * HOUR_MS);
  let trimmed = 0;
  for (let round = 0; round < 20; round++) {
    const n = await trimBefore(deps.db, cutoff, 500);
    trimmed += n;
    if (n === 0) break;
  }
  return trimmed;
}

/** Consumer of `push.send`: one notification to one browser (a throw means "retry later"). */
export async function sendPush(
  deps: Pick<Platform, "db" | "push" | "clock">,
  subscriptionId: string,
  notificationId: string,
): Promise<void> {
  const message = await pushMessageFor(deps, notificationId);
  if (message) await deliverPush(deps, subscriptionId, message);
}
