import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { timingSafeEqual } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db";
import { newId } from "../../platform/ids";
import type { LiveIngest, LivePlayback } from "../../platform/stream";
import { canSeeContent, relationFromFacts } from "../../policy";
import { loadRelations } from "../graph/relations.repo";
import { parseUserSummary } from "../users/user-summary";
import { findUserById } from "../users/users.repo";
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

export type LiveDeps = Pick<Platform, "db" | "clock" | "config" | "stream" | "origin" | "outbox">;

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
async function visible(deps: LiveDeps, viewerId: string | null, row: LiveWithHost): Promise<boolean> {
  if (viewerId === row.host_id) return true;
  if (row.status === "created") return false;
  const relation =
    viewerId === null
      ? relationFromFacts(null, row.host_id, {
          owner_private: row.host_private,
          following: 0,
          close_friend: 0,
          blocked: 0,
        })
      : (await loadRelations(deps.db, viewerId, [row.host_id])).get(row.host_id);
  return relation !== undefined && canSeeContent(relation, row.audience);
}

async function visibleSession(deps: LiveDeps, viewerId: string | null, id: string): Promise<LiveWithHost> {
  const row = await findSession(deps.db, id);
  if (!row || !(await visible(deps, viewerId, row))) throw notFound("live session");
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

async function finish(deps: Pick<LiveDeps, "db" | "clock" | "stream">, id: string, inputUid: string | null) {
  await markEnded(deps.db, id, deps.clock.now().toISOString());
  if (inputUid !== null && deps.stream) await deps.stream.disableLiveInput(inputUid);
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
export async function endAbandoned(deps: Pick<LiveDeps, "db" | "clock" | "config" | "stream">): Promise<number> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - deps.config.live.disconnectGraceSeconds * 1000).toISOString();
  const rows = await disconnectedSince(deps.db, before);
  for (const row of rows) await finish(deps, row.id, row.stream_input_uid);
  return rows.length;
}
