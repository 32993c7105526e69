import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { liveSessions } from "../db/schema";
import { UPGRADE_USER_HEADER } from "../features/chat/chat.protocol";
import {
  CLOSE_ENDED,
  CLOSE_REMOVED,
  ClientIdSchema,
  LIVE_BATCH_MS,
  type LiveClientFrame,
  LiveClientFrameSchema,
  type LiveComment,
  LiveCommentBodySchema,
  type LiveFrameError,
  type LiveServerFrame,
  RECENT_ON_JOIN,
  type RoomFacts,
  UPGRADE_ROLE_HEADER,
  UPGRADE_ROOM_HEADER,
  UPGRADE_USERNAME_HEADER,
  VIEWER_COUNT_EVERY_MS,
} from "../features/live/live.protocol";
import { type Clock, type Db, type Platform, platformFor } from "../platform";
import { newId } from "../platform/ids";
import { moderationCheck } from "../platform/jobs";
import { FrameGuard } from "./frame-guard";

interface Attachment {
  userId: string;
  username: string;
  role: "host" | "viewer";
  connId: string;
}

const attachmentOf = (ws: WebSocket): Attachment => ws.deserializeAttachment() as Attachment;

type CommentRow = {
  id: string;
  seq: number;
  user_id: string;
  username: string;
  body: string;
  client_id: string;
  created_at: string;
  offset_ms: number;
};

const toComment = (r: CommentRow): LiveComment => ({
  id: r.id,
  seq: r.seq,
  user: { id: r.user_id, username: r.username },
  body: r.body,
  client_id: r.client_id,
  created_at: r.created_at,
  offset_ms: r.offset_ms,
});

/** A viewer may hold this many sockets on one room (tabs, devices). */
const MAX_SOCKETS_PER_USER = 5;

/**
 * One live session's comment room, or one post's live comment feed (docs/live.md).
 *
 * - Comments are stored once per sender and client id in the object's SQLite (they survive
 *   eviction and hibernation) with their offset from the session's start, for the replay.
 * - Outgoing comments and hearts are gathered for LIVE_BATCH_MS and sent as ONE frame per socket,
 *   so a room's cost grows with its viewers, not with viewers × comments; the viewer count goes
 *   out at most every VIEWER_COUNT_EVERY_MS, and reaches D1 (for lists) at most every 10 s.
 * - Frames have the chat sockets' limits (`FrameGuard`): 1009 over the size cap, a per-connection
 *   budget after that. The host moderates in the room: pin, remove, comments off, mute; a block is
 *   the graph's, and the Worker tells the room to close the blocked viewer's sockets (`kick`).
 * - The Worker has already checked the ticket and the policy before any upgrade; the room trusts
 *   the identity it is handed and decides only what happens inside it.
 */
export class LiveRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly clock: Clock;
  private readonly frames: FrameGuard;
  private readonly db: Db;
  private readonly platform: Pick<Platform, "config" | "jobs">;
  private pending: LiveComment[] = [];
  private hearts = 0;
  private batchTimer: ReturnType<typeof setTimeout> | null = null;
  private viewerTimer: ReturnType<typeof setTimeout> | null = null;
  private lastViewerSent = 0;
  private lastViewerCount = -1;
  private lastViewerSaved = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const platform = platformFor(env);
    this.platform = platform;
    this.db = platform.db;
    this.clock = platform.clock;
    const { frameBurst, framesPerSecond } = platform.config.chat;
    this.frames = new FrameGuard({ burst: frameBurst, perSecond: framesPerSecond }, this.clock);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS room (
      key TEXT PRIMARY KEY, kind TEXT NOT NULL, host_id TEXT NOT NULL, started_at TEXT NOT NULL,
      ended INTEGER NOT NULL DEFAULT 0, comments_off INTEGER NOT NULL DEFAULT 0, pinned_id TEXT,
      hearts INTEGER NOT NULL DEFAULT 0)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS comments (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
      username TEXT NOT NULL, body TEXT NOT NULL, client_id TEXT NOT NULL, created_at TEXT NOT NULL,
      offset_ms INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0, UNIQUE (user_id, client_id))`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS muted (user_id TEXT PRIMARY KEY)");
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---- RPC (from the Worker) ----

  /** Records what the room is about (first call wins; a later `ended` is kept). */
  async open(facts: RoomFacts): Promise<void> {
    this.sql.exec(
      `INSERT INTO room (key, kind, host_id, started_at, ended) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET ended = MAX(ended, excluded.ended)`,
      facts.key,
      facts.kind,
      facts.hostId,
      facts.startedAt,
      facts.ended ? 1 : 0,
    );
  }

  /** The session ended: no more comments; every socket is told and closed. */
  async end(key: string): Promise<void> {
    if (!this.room(key)) return;
    this.sql.exec("UPDATE room SET ended = 1 WHERE key = ?", key);
    this.flush();
    this.broadcast({ type: "ended" });
    for (const ws of this.ctx.getWebSockets()) this.close(ws, CLOSE_ENDED, "The session ended");
  }

  /** Closes a user's sockets at once (the host blocked them, or they lost access). */
  async kick(key: string, userId: string, code = CLOSE_REMOVED, reason = "Removed from this room"): Promise<void> {
    if (!this.room(key)) return;
    for (const ws of this.ctx.getWebSockets(userId)) this.close(ws, code, reason);
  }

  /** One comment for a report or a staff review, removed or not; null when there is none. */
  async findComment(key: string, id: string): Promise<(LiveComment & { removed: boolean }) | null> {
    if (!this.room(key)) return null;
    const row = this.sql
      .exec<CommentRow & { removed: number }>(
        "SELECT seq, id, user_id, username, body, client_id, created_at, offset_ms, removed FROM comments WHERE id = ?",
        id,
      )
      .toArray()[0];
    return row ? { ...toComment(row), removed: row.removed === 1 } : null;
  }

  /**
   * Staff hid (removed) or restored a comment. A removal leaves every screen at once; a restored
   * comment is back in the replay (it is not sent again to open sockets). Answers whether it exists.
   */
  async setCommentRemoved(key: string, id: string, removed: boolean): Promise<boolean> {
    if (!this.room(key)) return false;
    const changed = this.sql.exec("UPDATE comments SET removed = ? WHERE id = ?", removed ? 1 : 0, id).rowsWritten > 0;
    if (changed && removed) {
      this.flush();
      this.broadcast({ type: "comment_removed", comment_id: id });
    }
    return changed;
  }

  /** Comments after `afterSeq`, oldest first, removed ones left out: the replay. */
  async comments(key: string, afterSeq: number, limit: number): Promise<LiveComment[]> {
    if (!this.room(key)) return [];
    return this.sql
      .exec<CommentRow>(
        `SELECT seq, id, user_id, username, body, client_id, created_at, offset_ms FROM comments
         WHERE removed = 0 AND seq > ? ORDER BY seq LIMIT ?`,
        afterSeq,
        limit,
      )
      .toArray()
      .map(toComment);
  }

  /** A post room: a comment created over HTTP (after its D1 batch committed) goes out to viewers. */
  async publishComment(key: string, comment: Omit<LiveComment, "seq" | "offset_ms">): Promise<void> {
    const room = this.room(key);
    if (room?.kind !== "post") return;
    this.queueComment({ ...comment, seq: 0, offset_ms: Date.parse(comment.created_at) - Date.parse(room.started_at) });
  }

  /** A post room: a deleted comment (and its replies) leave viewers' screens. */
  async publishRemoved(key: string, commentIds: string[]): Promise<void> {
    const room = this.room(key);
    if (room?.kind !== "post") return;
    this.flush();
    for (const id of commentIds) this.broadcast({ type: "comment_removed", comment_id: id });
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(UPGRADE_USER_HEADER);
    const username = request.headers.get(UPGRADE_USERNAME_HEADER);
    const key = request.headers.get(UPGRADE_ROOM_HEADER);
    const role = request.headers.get(UPGRADE_ROLE_HEADER) === "host" ? "host" : "viewer";
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId || !username || !key) {
      return new Response(null, { status: 426 });
    }
    const room = this.room(key);
    if (!room) return new Response(null, { status: 404 });
    if (room.ended) return new Response(null, { status: 409 });
    if (this.ctx.getWebSockets(userId).length >= MAX_SOCKETS_PER_USER) return new Response(null, { status: 429 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [userId]);
    server.serializeAttachment({ userId, username, role, connId: crypto.randomUUID() } satisfies Attachment);
    const recent = this.sql
      .exec<CommentRow>(
        `SELECT * FROM (SELECT seq, id, user_id, username, body, client_id, created_at, offset_ms FROM comments
         WHERE removed = 0 ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
        RECENT_ON_JOIN,
      )
      .toArray()
      .map(toComment);
    this.send(server, {
      type: "ready",
      room: key,
      role,
      comments_off: room.comments_off === 1,
      pinned: this.pinned(room.pinned_id),
      recent,
      viewer_count: this.ctx.getWebSockets().length,
    });
    this.viewersChanged();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const who = attachmentOf(ws);
    if (!this.frames.admit(ws, who.connId, data)) return;
    const room = this.onlyRoom();
    if (!room) return;
    if (room.kind === "post") {
      this.error(ws, "read_only", "This socket only sends a post's comments; comment over HTTP");
      return;
    }
    const frame = typeof data === "string" ? parse(data) : null;
    if (!frame) {
      this.error(
        ws,
        "invalid_frame",
        "Frames are JSON objects of type comment or reaction (and the host's pin, remove, comments_off, mute)",
      );
      return;
    }
    if (room.ended) {
      this.error(ws, "ended", "The session has ended");
      return;
    }
    if (frame.type !== "comment" && frame.type !== "reaction" && who.role !== "host") {
      this.error(ws, "forbidden", "Only the host moderates");
      return;
    }
    this.handle(ws, who, room, frame);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.frames.closed(ws, attachmentOf(ws).connId, code, reason);
    this.viewersChanged();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.frames.forget(attachmentOf(ws).connId);
    this.viewersChanged();
  }

  // ---- frames ----

  private handle(ws: WebSocket, who: Attachment, room: RoomRow, frame: LiveClientFrame): void {
    switch (frame.type) {
      case "comment":
        this.comment(ws, who, room, frame.body, frame.client_id);
        return;
      case "reaction":
        this.hearts++;
        this.sql.exec("UPDATE room SET hearts = hearts + 1");
        this.schedule();
        return;
      case "pin": {
        const pinned = frame.comment_id === null ? null : this.pinned(frame.comment_id);
        if (frame.comment_id !== null && !pinned) {
          this.error(ws, "not_found", "No such comment");
          return;
        }
        this.sql.exec("UPDATE room SET pinned_id = ?", pinned?.id ?? null);
        this.flush();
        this.broadcast({ type: "pinned", comment: pinned });
        return;
      }
      case "remove": {
        const removed = this.sql.exec("UPDATE comments SET removed = 1 WHERE id = ? AND removed = 0", frame.comment_id);
        if (removed.rowsWritten === 0) {
          this.error(ws, "not_found", "No such comment");
          return;
        }
        if (room.pinned_id === frame.comment_id) this.sql.exec("UPDATE room SET pinned_id = NULL");
        this.pending = this.pending.filter((c) => c.id !== frame.comment_id);
        this.flush();
        this.broadcast({ type: "comment_removed", comment_id: frame.comment_id });
        return;
      }
      case "comments_off":
        this.sql.exec("UPDATE room SET comments_off = ?", frame.off ? 1 : 0);
        this.flush();
        this.broadcast({ type: "comments_off", off: frame.off });
        return;
      case "mute":
        if (frame.muted) this.sql.exec("INSERT OR IGNORE INTO muted (user_id) VALUES (?)", frame.user_id);
        else this.sql.exec("DELETE FROM muted WHERE user_id = ?", frame.user_id);
        return;
    }
  }

  private comment(ws: WebSocket, who: Attachment, room: RoomRow, body: string, clientId: string): void {
    const bodyCheck = LiveCommentBodySchema.safeParse(body);
    const idCheck = ClientIdSchema.safeParse(clientId);
    if (!bodyCheck.success || !idCheck.success) {
      const issue = (bodyCheck.error ?? idCheck.error)?.issues[0];
      this.error(ws, "invalid_comment", issue?.message ?? "Invalid comment", clientId);
      return;
    }
    if (who.role !== "host") {
      if (room.comments_off === 1) {
        this.error(ws, "comments_off", "The host turned comments off", clientId);
        return;
      }
      if (this.sql.exec("SELECT 1 FROM muted WHERE user_id = ?", who.userId).toArray().length > 0) {
        this.error(ws, "muted", "The host muted you in this room", clientId);
        return;
      }
    }
    const now = this.clock.now();
    const stored = this.sql
      .exec<CommentRow>(
        `INSERT INTO comments (id, user_id, username, body, client_id, created_at, offset_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, client_id) DO NOTHING
         RETURNING seq, id, user_id, username, body, client_id, created_at, offset_ms`,
        newId(now.getTime()),
        who.userId,
        who.username,
        body,
        clientId,
        now.toISOString(),
        Math.max(0, now.getTime() - Date.parse(room.started_at)),
      )
      .toArray()[0];
    // A resend of a stored comment (its first delivery was lost on the way back) stores nothing.
    if (!stored) return;
    this.queueComment(toComment(stored));
    if (room.kind === "live") this.check(room, stored.id);
  }

  /**
   * Automatic moderation of a live comment (docs/moderation.md): D1 has no row to stage the job
   * with, so the room sends it itself once the comment is stored. Best effort: if the queue refuses
   * it, the comment stays unchecked (logged), and a viewer's report or the host still reaches it.
   */
  private check(room: RoomRow, commentId: string): void {
    const jobs = moderationCheck(this.platform.config, "live_comment", commentId, room.key.slice("live:".length));
    if (jobs.length === 0) return;
    this.ctx.waitUntil(
      this.platform.jobs
        .sendAll(jobs)
        .catch((err: unknown) => console.error("live comment check not queued", commentId, String(err))),
    );
  }

  // ---- batching ----

  private queueComment(comment: LiveComment): void {
    this.pending.push(comment);
    this.schedule();
  }

  private schedule(): void {
    this.batchTimer ??= setTimeout(() => this.flush(), LIVE_BATCH_MS);
  }

  /** Sends what the window gathered: one comment frame and one reactions frame per socket. */
  private flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (this.pending.length > 0) {
      const comments = this.pending;
      this.pending = [];
      this.broadcast({ type: "comment", comments });
    }
    if (this.hearts > 0) {
      const total = this.onlyRoom()?.hearts ?? this.hearts;
      this.broadcast({ type: "reactions", count: this.hearts, total });
      this.hearts = 0;
    }
  }

  /** The viewer count goes out at most every VIEWER_COUNT_EVERY_MS, and to D1 at most every 10 s. */
  private viewersChanged(): void {
    if (this.viewerTimer) return;
    const wait = Math.max(0, this.lastViewerSent + VIEWER_COUNT_EVERY_MS - this.clock.now().getTime());
    this.viewerTimer = setTimeout(() => {
      this.viewerTimer = null;
      const count = this.ctx.getWebSockets().length;
      if (count === this.lastViewerCount) return;
      this.lastViewerCount = count;
      this.lastViewerSent = this.clock.now().getTime();
      this.broadcast({ type: "viewer_count", count });
      this.saveViewerCount(count);
    }, wait);
  }

  private saveViewerCount(count: number): void {
    const room = this.onlyRoom();
    if (room?.kind !== "live" || this.clock.now().getTime() - this.lastViewerSaved < 10_000) return;
    this.lastViewerSaved = this.clock.now().getTime();
    const sessionId = room.key.slice("live:".length);
    // Best effort: the count on a list is a hint; the room's frames carry the live figure.
    this.ctx.waitUntil(
      this.db
        .update(liveSessions)
        .set({ viewer_count: count })
        .where(eq(liveSessions.id, sessionId))
        .then(() => undefined)
        .catch((err: unknown) => console.error("viewer count not saved", String(err))),
    );
  }

  // ---- helpers ----

  private room(key: string): RoomRow | null {
    return this.sql.exec<RoomRow>("SELECT * FROM room WHERE key = ?", key).toArray()[0] ?? null;
  }

  private onlyRoom(): RoomRow | null {
    return this.sql.exec<RoomRow>("SELECT * FROM room LIMIT 1").toArray()[0] ?? null;
  }

  private pinned(id: string | null): LiveComment | null {
    if (id === null) return null;
    const row = this.sql
      .exec<CommentRow>(
        "SELECT seq, id, user_id, username, body, client_id, created_at, offset_ms FROM comments WHERE id = ? AND removed = 0",
        id,
      )
      .toArray()[0];
    return row ? toComment(row) : null;
  }

  private send(ws: WebSocket, frame: LiveServerFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // Closed meanwhile.
    }
  }

  private broadcast(frame: LiveServerFrame): void {
    const text = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // Closing; its close handler tidies up.
      }
    }
  }

  private error(ws: WebSocket, code: LiveFrameError, detail: string, clientId?: string): void {
    this.send(ws, { type: "error", code, detail, ...(clientId === undefined ? {} : { client_id: clientId }) });
  }

  private close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}

type RoomRow = {
  key: string;
  kind: "live" | "post";
  host_id: string;
  started_at: string;
  ended: number;
  comments_off: number;
  pinned_id: string | null;
  hearts: number;
};

function parse(text: string): LiveClientFrame | null {
  try {
    const result = LiveClientFrameSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}
