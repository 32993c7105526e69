import { decodeCursor, invalidCursor, toPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { timingSafeEqual } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db";
import { newId } from "../../platform/ids";
import type { LiveIngest, LivePlayback } from "../../platform/stream";
import { canSeeContent, relationFromFacts } from "../../policy";
import { CLOSE_SESSION_ENDED, UPGRADE_USER_HEADER } from "../chat/chat.protocol";
import { admitSocket, objectCall, relayUpgrade } from "../chat/socket-admission";
import { loadRelations } from "../graph/relations.repo";
import { visiblePost } from "../posts/posts.service";
import { parseUserSummary } from "../users/user-summary";
import { findUserById } from "../users/users.repo";
import { type LiveComment, UPGRADE_ROLE_HEADER, UPGRADE_ROOM_HEADER, UPGRADE_USERNAME_HEADER } from "./live.protocol";
import {
  disconnectedSince,
  findOpenSession,
  findSession,
  insertSession,
  type LiveWithHost,
  liveOfFollowed,
  markDisconnected,
  markEnded,
  markLive,
  sessionByInput,
} from "./live.repo";
import type { LiveSession, StreamWebhook } from "./live.schema";

/*
 * Live sessions (docs/live.md). D1 holds the session (status, audience, the Stream input); video
 * goes through Cloudflare Stream Live when it is configured, and a session is comments-only
 * otherwise. Who may see a session is the posts' rule for its audience (`canSeeContent`).
 */

export type LiveDeps = Pick<Platform, "db" | "clock" | "config" | "stream" | "realtime" | "origin" | "outbox">;

const noSession = () => notFound("live session");
/** The LiveRoom key of a session (also a ticket scope). */
export const roomKey = (sessionId: string) => `live:${sessionId}`;

type Audience = "public" | "followers" | "close_friends";

async function toSession(deps: LiveDeps, row: LiveWithHost, viewerId: string | null): Promise<LiveSession> {
  const isHost = viewerId === row.host_id;
  return {
    id: row.id,
    host: await parseUserSummary(deps, row.host),
    title: row.title,
    audience: row.audience,
    status: row.status,
    viewer_count: row.viewer_count,
    started_at: row.started_at,
    ended_at: row.ended_at,
    // The stream key is the host's credential: never shown to anyone else.
    ingest: isHost && row.ingest ? (JSON.parse(row.ingest) as LiveIngest) : null,
    playback: row.playback ? (JSON.parse(row.playback) as LivePlayback) : null,
  };
}

/** May `viewerId` see this session? The host always; others as a post with its audience, once it started. */
async function visible(deps: Pick<LiveDeps, "db">, viewerId: string | null, row: LiveWithHost): Promise<boolean> {
  if (viewerId === row.host_id) return true;
  if (row.status === "created") return false;
  const relation =
    viewerId === null
      ? relationFromFacts(null, row.host_id, {
          owner_private: row.host_private,
          owner_suspended: row.host_suspended,
          following: 0,
          close_friend: 0,
          blocked: 0,
        })
      : (await loadRelations(deps.db, viewerId, [row.host_id])).get(row.host_id);
  return relation !== undefined && canSeeContent(relation, row.audience);
}

async function visibleSession(deps: Pick<LiveDeps, "db">, viewerId: string | null, id: string): Promise<LiveWithHost> {
  const row = await findSession(deps.db, id);
  if (!row || !(await visible(deps, viewerId, row))) throw noSession();
  return row;
}

async function hostedSession(deps: LiveDeps, hostId: string, id: string): Promise<LiveWithHost> {
  const row = await findSession(deps.db, id);
  if (row?.host_id !== hostId) throw notFound("live session");
  return row;
}

/**
 * `POST /v1/live`: one open session per host (409). With Stream configured a live input is created
 * first; if the session then cannot be stored, the input is disabled again.
 */
export async function createSession(
  deps: LiveDeps,
  hostId: string,
  input: { title: string; audience?: Audience },
): Promise<LiveSession> {
  const host = await findUserById(deps.db, hostId);
  if (!host) throw new ApiError("unauthorized", "The account for this token no longer exists.");
  const conflict = () => new ApiError("conflict", "You already have a live session open: end it first.");
  if (await findOpenSession(deps.db, hostId)) throw conflict();
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const stream = deps.stream ? await createInput(deps.stream, id) : null;
  try {
    await insertSession(deps.db, {
      id,
      host_id: hostId,
      title: input.title,
      audience: input.audience ?? (host.is_private ? "followers" : "public"),
      status: "created",
      stream_input_uid: stream?.uid ?? null,
      ingest: stream ? JSON.stringify(stream.ingest) : null,
      playback: stream ? JSON.stringify(stream.playback) : null,
      created_at: now.toISOString(),
    });
  } catch (err) {
    if (stream) await deps.stream?.disableLiveInput(stream.uid);
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
  const row = await findSession(deps.db, id);
  if (!row) throw new Error(`live session ${id} vanished after insert`);
  return toSession(deps, row, hostId);
}

/** A Stream failure is the provider's, not ours: 503 with retry-after, nothing stored. */
async function createInput(stream: NonNullable<LiveDeps["stream"]>, id: string) {
  try {
    return await stream.createLiveInput(`edgegram live ${id}`);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", component: "live", msg: "Stream create failed", err: String(err) }));
    throw new ApiError("unavailable", "Cloudflare Stream could not create a live input; try again shortly.", {
      headers: { "retry-after": "5" },
    });
  }
}

export async function getSession(deps: LiveDeps, viewerId: string | null, id: string): Promise<LiveSession> {
  return toSession(deps, await visibleSession(deps, viewerId, id), viewerId);
}

/** `GET /v1/live`: sessions live now of accounts the caller follows and may see. */
export async function listLive(deps: LiveDeps, viewerId: string): Promise<{ items: LiveSession[] }> {
  const rows = await liveOfFollowed(deps.db, viewerId);
  const relations = await loadRelations(
    deps.db,
    viewerId,
    rows.map((r) => r.host_id),
  );
  const items = rows.filter((r) => {
    const relation = relations.get(r.host_id);
    return relation !== undefined && canSeeContent(relation, r.audience);
  });
  return { items: await Promise.all(items.map((r) => toSession(deps, r, viewerId))) };
}

/**
 * Marks the session live; the first time, its host's followers are told (`live_started`), through
 * a `notify` job staged in the same batch (docs/notifications.md).
 */
async function goLive(deps: Pick<LiveDeps, "db" | "clock" | "outbox">, hostId: string, id: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const { jobIds } = await markLive(deps.db, id, now, deps.outbox, [
    { type: "notify", event: { kind: "live", actor_id: hostId, session_id: id, after: null, at: now } },
  ]);
  await deps.outbox.deliver(jobIds);
}

/** `POST /v1/live/{id}/start`: a comments-only session goes live by the host's word. */
export async function startSession(deps: LiveDeps, hostId: string, id: string): Promise<LiveSession> {
  const row = await hostedSession(deps, hostId, id);
  if (row.stream_input_uid !== null) {
    throw new ApiError("conflict", "This session goes live when its video stream connects.");
  }
  if (row.status === "ended") throw new ApiError("conflict", "This session has ended.");
  await goLive(deps, row.host_id, id);
  return getSession(deps, hostId, id);
}

/** `POST /v1/live/{id}/end`: ends the session and cuts the broadcaster off (idempotent). */
export async function endSession(deps: LiveDeps, hostId: string, id: string): Promise<LiveSession> {
  const row = await hostedSession(deps, hostId, id);
  await finish(deps, row.id, row.stream_input_uid);
  return getSession(deps, hostId, id);
}

/** Ends the session in D1 (the truth), then cuts the broadcaster off and closes the room. */
async function finish(
  deps: Pick<LiveDeps, "db" | "clock" | "stream" | "realtime">,
  id: string,
  inputUid: string | null,
) {
  await markEnded(deps.db, id, deps.clock.now().toISOString());
  // D1 says ended, which every read and ticket obeys; Stream and the room follow. A failure there
  // is logged and does not undo the end (calling end again retries both).
  const steps: Promise<unknown>[] = [deps.realtime.liveRoom(roomKey(id)).end(roomKey(id))];
  if (inputUid !== null && deps.stream) steps.push(deps.stream.disableLiveInput(inputUid));
  for (const result of await Promise.allSettled(steps)) {
    if (result.status === "rejected") {
      const err = String(result.reason);
      console.error(JSON.stringify({ level: "error", component: "live", msg: "end not propagated", id, err }));
    }
  }
}

const encoder = new TextEncoder();

/**
 * `POST /webhooks/stream/live`: Stream sends the destination's secret as-is in `cf-webhook-auth`;
 * it is compared in constant time, and a request without it changes nothing (401).
 */
export function checkWebhookSecret(deps: Pick<LiveDeps, "config">, presented: string | undefined): void {
  const secret = deps.config.live.webhookSecret;
  const ok =
    secret !== null && presented !== undefined && timingSafeEqual(encoder.encode(presented), encoder.encode(secret));
  if (!ok) throw new ApiError("unauthorized", "The webhook secret is missing or wrong.");
}

/** A live input event: connected → live; disconnected or errored → the grace period starts. */
export async function applyStreamEvent(deps: LiveDeps, event: StreamWebhook): Promise<void> {
  const row = await sessionByInput(deps.db, event.data.input_id);
  if (!row || row.status === "ended") return;
  const now = deps.clock.now().toISOString();
  if (event.data.event_type === "live_input.connected") await goLive(deps, row.host_id, row.id);
  else await markDisconnected(deps.db, row.id, now);
}

/** Minute cron: sessions whose broadcast stayed disconnected past the grace period end. */
export async function endAbandoned(
  deps: Pick<LiveDeps, "db" | "clock" | "config" | "stream" | "realtime">,
): Promise<number> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - deps.config.live.disconnectGraceSeconds * 1000).toISOString();
  const rows = await disconnectedSince(deps.db, before);
  for (const row of rows) await finish(deps, row.id, row.stream_input_uid);
  return rows.length;
}

// ---- the room: tickets, sockets, replay, moderation by block ----

/** Who may get a ticket for a session's room: whoever may see it, until it ends (a block either way: 404). */
/** A session the viewer may see (ended ones too), or 404: for reports about its comments. */
export async function visibleLiveSession(deps: Pick<LiveDeps, "db">, userId: string, sessionId: string) {
  return visibleSession(deps, userId, sessionId);
}

export async function requireLiveViewer(deps: Pick<LiveDeps, "db">, userId: string, sessionId: string): Promise<void> {
  const row = await visibleSession(deps, userId, sessionId);
  if (row.status === "ended") throw new ApiError("conflict", "This live session has ended.");
}

/** Hands an authorized upgrade to the room, with the identity it is to trust. */
function intoRoom(
  room: ReturnType<LiveDeps["realtime"]["liveRoom"]>,
  who: { key: string; userId: string; username: string; role: "host" | "viewer" },
): Promise<Response> {
  return room.fetch("https://live-room/ws", {
    headers: {
      upgrade: "websocket",
      [UPGRADE_USER_HEADER]: who.userId,
      [UPGRADE_USERNAME_HEADER]: who.username,
      [UPGRADE_ROOM_HEADER]: who.key,
      [UPGRADE_ROLE_HEADER]: who.role,
    },
  });
}

/** `GET /v1/live/{id}/ws?ticket=`: the ticket, the policy again, then the room takes the socket. */
export async function openLiveSocket(deps: LiveDeps, request: Request, sessionId: string, ticket: string) {
  const userId = await admitSocket(deps, request, ticket, roomKey(sessionId), noSession);
  const row = await visibleSession(deps, userId, sessionId);
  if (row.status === "ended") throw new ApiError("conflict", "This live session has ended.");
  const user = await findUserById(deps.db, userId);
  if (!user) throw new ApiError("unauthorized", "The account for this ticket no longer exists.");
  const key = roomKey(sessionId);
  const room = deps.realtime.liveRoom(key);
  await objectCall(() =>
    room.open({ key, kind: "live", hostId: row.host_id, startedAt: row.started_at ?? row.created_at, ended: false }),
  );
  const res = await objectCall(() =>
    intoRoom(room, { key, userId, username: user.username, role: userId === row.host_id ? "host" : "viewer" }),
  );
  return relayUpgrade(res, noSession);
}

/** `GET /v1/live/{id}/comments`: the stored comments in order, with their offsets (a recording's timeline). */
export async function listLiveComments(
  deps: LiveDeps,
  viewerId: string | null,
  sessionId: string,
  page: { cursor?: string; limit: number },
): Promise<{ items: LiveComment[]; next_cursor: string | null }> {
  await visibleSession(deps, viewerId, sessionId);
  const secret = deps.config.signingSecret;
  const list = `live-comments:${sessionId}`;
  let after = 0;
  if (page.cursor !== undefined) {
    const [seq] = await decodeCursor(secret, list, page.cursor);
    if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) throw invalidCursor();
    after = seq;
  }
  const key = roomKey(sessionId);
  const rows = await objectCall(() => deps.realtime.liveRoom(key).comments(key, after, page.limit + 1));
  return toPage(rows, { limit: page.limit, secret, list, key: (c) => [c.seq], map: async (c) => c });
}

/** A block between a host and someone closes that person's sockets on the host's open session at once. */
export async function liveBlockChanged(deps: Pick<LiveDeps, "db" | "realtime">, a: string, b: string): Promise<void> {
  for (const [host, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const open = await findOpenSession(deps.db, host);
    if (open) await objectCall(() => deps.realtime.liveRoom(roomKey(open.id)).kick(roomKey(open.id), other));
  }
}

/**
 * An account was suspended: its own open session ends, and its sockets in the rooms that are live
 * now close with 4001 (docs/moderation.md).
 */
export async function finishForSuspension(
  deps: Pick<LiveDeps, "db" | "clock" | "stream" | "realtime">,
  userId: string,
  liveIds: string[],
): Promise<void> {
  const own = await findOpenSession(deps.db, userId);
  if (own) await finish(deps, own.id, own.stream_input_uid);
  await Promise.allSettled(
    liveIds
      .filter((id) => id !== own?.id)
      .map((id) =>
        deps.realtime
          .liveRoom(roomKey(id))
          .kick(roomKey(id), userId, CLOSE_SESSION_ENDED, "The account's sessions ended"),
      ),
  );
}

// ---- live comments on posts ----

const postKey = (postId: string) => `post:${postId}`;

/** Who may get a ticket for a post's live comments: whoever may see the post. */
export async function requirePostViewer(deps: Pick<LiveDeps, "db">, userId: string, postId: string): Promise<void> {
  await visiblePost(deps, userId, postId);
}

/** `GET /v1/posts/{id}/comments/live?ticket=`: a read-only socket of the post's new and removed comments. */
export async function openPostSocket(deps: LiveDeps, request: Request, postId: string, ticket: string) {
  const noPost = () => notFound("post");
  const userId = await admitSocket(deps, request, ticket, postKey(postId), noPost);
  const { post } = await visiblePost(deps, userId, postId);
  const user = await findUserById(deps.db, userId);
  if (!user) throw new ApiError("unauthorized", "The account for this ticket no longer exists.");
  const key = postKey(postId);
  const room = deps.realtime.liveRoom(key);
  await objectCall(() =>
    room.open({ key, kind: "post", hostId: post.author_id, startedAt: post.created_at, ended: false }),
  );
  const res = await objectCall(() => intoRoom(room, { key, userId, username: user.username, role: "viewer" }));
  return relayUpgrade(res, noPost);
}

/**
 * After a comment's D1 batch committed: its post's live viewers see it. Best effort (the HTTP
 * list is the record); the room ignores a post nobody has opened a socket on.
 */
export async function publishPostComment(
  deps: Pick<LiveDeps, "realtime">,
  comment: { id: string; post_id: string; author: { id: string; username: string }; body: string; created_at: string },
): Promise<void> {
  const key = postKey(comment.post_id);
  try {
    await deps.realtime.liveRoom(key).publishComment(key, {
      id: comment.id,
      user: { id: comment.author.id, username: comment.author.username },
      body: comment.body,
      client_id: comment.id,
      created_at: comment.created_at,
    });
  } catch (err) {
    console.error(
      JSON.stringify({ level: "warn", component: "live", msg: "post comment not published", err: String(err) }),
    );
  }
}

export async function publishPostCommentsRemoved(
  deps: Pick<LiveDeps, "realtime">,
  postId: string,
  commentIds: string[],
): Promise<void> {
  const key = postKey(postId);
  try {
    await deps.realtime.liveRoom(key).publishRemoved(key, commentIds);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", component: "live", msg: "removal not published", err: String(err) }));
  }
}
