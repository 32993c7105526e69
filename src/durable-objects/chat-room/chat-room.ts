import { DurableObject } from "cloudflare:workers";
import {
  type ChatMessage,
  CLOSE_REVOKED,
  CLOSE_TOO_BIG,
  ClientFrameSchema,
  ClientIdSchema,
  type FrameErrorCode,
  type HistoryResult,
  type HubEvent,
  MAX_FRAME_BYTES,
  MAX_SOCKETS_PER_USER,
  MessageBodySchema,
  RESUME_MAX_MESSAGES,
  type RoomRefusal,
  type SendResult,
  type ServerFrame,
  UPGRADE_CONVERSATION_HEADER,
  UPGRADE_USER_HEADER,
} from "../../features/chat/chat.protocol";
import { flushInbox, roomMembers } from "../../features/chat/chat.repo";
import { dbFor } from "../../platform/db";
import { newId } from "../../platform/ids";

/**
 * One conversation: its messages (stored once, numbered 1, 2, 3… by `seq`), its members' read
 * positions, and its members' WebSockets.
 *
 * - Hibernation API: sockets are accepted with `ctx.acceptWebSocket`, so the object can be evicted
 *   from memory while they stay open; each socket's attachment holds only ids, everything else is
 *   read back from SQLite (STYLE 6, SECURITY I2). Pings are answered by the runtime without waking
 *   the object (`setWebSocketAutoResponse`).
 * - Membership is loaded from D1 (the source of truth) the first time the room is used, and after
 *   that changed by the Worker through `removeMember` / `setClosed`, which also close the sockets
 *   concerned (SECURITY I9). Every send is checked against the stored membership.
 * - The inbox index in D1 (last message, members' read positions, sort order) is written by an
 *   alarm `CHAT_INBOX_FLUSH_MS` after the first unflushed change, so a busy room costs one D1
 *   batch per interval rather than one write per message. A failed flush re-arms the alarm with
 *   backoff (5 s doubling to 5 min); the room's own state says what still needs writing.
 */

/** How long hub events are gathered before one RPC per member carries them. */
const HUB_BATCH_MS = 20;

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS room (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS members (user_id TEXT PRIMARY KEY, read_seq INTEGER NOT NULL DEFAULT 0)",
  `CREATE TABLE IF NOT EXISTS messages (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     sender_id TEXT NOT NULL,
     body TEXT NOT NULL,
     client_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     story_id TEXT,
     UNIQUE (sender_id, client_id)
   )`,
];
/** Columns added after a room's table was first created: applied once, an error meaning "done". */
const ADDED_COLUMNS = ["ALTER TABLE messages ADD COLUMN story_id TEXT"];

interface Attachment {
  userId: string;
  connId: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

type MessageRow = {
  seq: number;
  id: string;
  sender_id: string;
  body: string;
  client_id: string;
  created_at: string;
  story_id: string | null;
};

const MESSAGE_COLUMNS = "seq, id, sender_id, body, client_id, created_at, story_id";

const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  seq: row.seq,
  sender: row.sender_id,
  body: row.body,
  client_id: row.client_id,
  created_at: row.created_at,
  story_id: row.story_id,
});

export class ChatRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Per-connection frame budgets; lost on hibernation, which only happens after idling anyway. */
  private readonly buckets = new Map<string, Bucket>();
  private flushArmed = false;
  private readonly hubQueue = new Map<string, HubEvent[]>();
  private hubTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    for (const statement of ADDED_COLUMNS) {
      try {
        this.sql.exec(statement);
      } catch {
        // The column exists already.
      }
    }
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  // ---- RPC ----

  /** Stores a message (once per sender and client id) and delivers it. */
  async post(
    conversationId: string,
    senderId: string,
    input: { body: string; clientId: string; storyId?: string },
  ): Promise<SendResult> {
    const refusal = await this.refusalFor(conversationId, senderId);
    if (refusal) return { ok: false, code: refusal };
    return this.store(senderId, input.body, input.clientId, input.storyId ?? null);
  }

  /** Messages before `beforeSeq` (or the newest), newest first. */
  async history(
    conversationId: string,
    userId: string,
    page: { beforeSeq: number | null; limit: number },
  ): Promise<HistoryResult> {
    const refusal = await this.refusalFor(conversationId, userId, { allowClosed: true });
    if (refusal) return { ok: false, code: refusal };
    const before = page.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
        before,
        page.limit,
      )
      .toArray();
    return { ok: true, messages: rows.map(toMessage) };
  }

  /** Moves the member's read position up to `messageId` and tells the others. */
  async markRead(conversationId: string, userId: string, messageId: string): Promise<{ ok: boolean }> {
    if (await this.refusalFor(conversationId, userId)) return { ok: false };
    return { ok: await this.read(userId, messageId) };
  }

  /** The member left or was removed: forget them and close their sockets. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    if (await this.refusalFor(conversationId, userId, { allowClosed: true })) return;
    this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    for (const ws of this.ctx.getWebSockets(userId)) ws.close(CLOSE_REVOKED, "No longer a member");
  }

  /** A block between the two people of a 1:1 closes it (and unblocking opens it again). */
  async setClosed(conversationId: string, closed: boolean): Promise<void> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return;
    this.setState("closed", closed ? "1" : "0");
    if (closed) for (const ws of this.ctx.getWebSockets()) ws.close(CLOSE_REVOKED, "Conversation closed");
  }

  // ---- WebSockets ----

  /** Only for the WebSocket upgrade, which the Worker has already authorized. */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(UPGRADE_USER_HEADER);
    const conversationId = request.headers.get(UPGRADE_CONVERSATION_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId || !conversationId) {
      return new Response(null, { status: 426 });
    }
    const refusal = await this.refusalFor(conversationId, userId);
    if (refusal) return new Response(null, { status: 404 });
    if (this.ctx.getWebSockets(userId).length >= MAX_SOCKETS_PER_USER) return new Response(null, { status: 429 });

    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [userId]);
    server.serializeAttachment({ userId, connId: crypto.randomUUID() } satisfies Attachment);
    this.sendTo(server, { type: "ready", conversation_id: conversationId, last_seq: this.lastSeq() });
    // A client that lost its connection names the last seq it has and gets what it missed, in order.
    const params = new URL(request.url).searchParams;
    const since = Number(params.get("since"));
    if (params.has("since") && Number.isSafeInteger(since) && since >= 0) {
      const missed = this.sql
        .exec<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`,
          since,
          RESUME_MAX_MESSAGES,
        )
        .toArray();
      for (const row of missed) this.sendTo(server, { type: "message", message: toMessage(row) });
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const { userId, connId } = ws.deserializeAttachment() as Attachment;
    const size = typeof data === "string" ? data.length : data.byteLength;
    if (size > MAX_FRAME_BYTES) {
      ws.close(CLOSE_TOO_BIG, "Frame too large");
      return;
    }
    if (!this.takeToken(connId)) {
      this.frameError(ws, "rate_limited", `Slow down: at most ${this.env.CHAT_FRAMES_PER_SECOND} frames a second`);
      return;
    }
    const frame = typeof data === "string" ? parseFrame(data) : null;
    if (!frame) {
      this.frameError(ws, "invalid_frame", "Frames are JSON objects of type message, typing or read");
      return;
    }
    // Every frame is checked against stored membership: a removed member's late frame is refused.
    const refusal = this.memberRefusal(userId);
    if (refusal) {
      this.frameError(ws, refusal, refusal === "closed" ? "This conversation is closed" : "Not a member");
      ws.close(CLOSE_REVOKED, "No longer a member");
      return;
    }
    switch (frame.type) {
      case "message": {
        const result = await this.store(userId, frame.body, frame.client_id);
        if (!result.ok) this.frameError(ws, result.code, result.detail ?? "Refused", frame.client_id);
        // A resend (its first acknowledgement was lost): confirm it to this socket, store nothing.
        else if (result.duplicate) this.sendTo(ws, { type: "message", message: result.message });
        return;
      }
      case "typing":
        this.broadcast({ type: "typing", user: userId }, userId);
        return;
      case "read":
        if (!(await this.read(userId, frame.message_id))) this.frameError(ws, "not_found", "No such message");
        return;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const { connId } = ws.deserializeAttachment() as Attachment;
    this.buckets.delete(connId);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    const { connId } = ws.deserializeAttachment() as Attachment;
    this.buckets.delete(connId);
  }

  // ---- Inbox flush ----

  override async alarm(): Promise<void> {
    this.flushArmed = false;
    const conversationId = this.state("conversation_id");
    const version = Number(this.state("version") ?? 0);
    if (!conversationId || version <= Number(this.state("flushed_version") ?? 0)) return;

    const last = this.sql
      .exec<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages ORDER BY seq DESC LIMIT 1`)
      .toArray()[0];
    const reads = this.sql
      .exec<{ user_id: string; read_seq: number }>("SELECT user_id, read_seq FROM members")
      .toArray();
    try {
      await flushInbox(dbFor(this.env.DB), conversationId, reads, last);
    } catch (err) {
      // Nothing is marked flushed, so the next attempt writes the same (or newer) state. The room
      // schedules that attempt itself, backing off, rather than relying on the runtime's limited
      // alarm retries: the inbox must catch up even if no further message arrives.
      const failures = Number(this.state("flush_failures") ?? 0) + 1;
      this.setState("flush_failures", String(failures));
      console.error(
        JSON.stringify({ level: "error", msg: "chat inbox flush failed", conversationId, failures, err: String(err) }),
      );
      await this.ctx.storage.setAlarm(Date.now() + Math.min(5_000 * 2 ** (failures - 1), 300_000));
      this.flushArmed = true;
      return;
    }
    this.setState("flush_failures", "0");
    this.setState("flushed_version", String(version));
    // Changes made while the batch was in flight need another flush.
    if (Number(this.state("version")) > version) await this.armFlush();
  }

  // ---- internals ----

  private async store(
    senderId: string,
    body: string,
    clientId: string,
    storyId: string | null = null,
  ): Promise<SendResult> {
    const bodyCheck = MessageBodySchema.safeParse(body);
    const idCheck = ClientIdSchema.safeParse(clientId);
    if (!bodyCheck.success || !idCheck.success) {
      const issue = (bodyCheck.error ?? idCheck.error)?.issues[0];
      return { ok: false, code: "invalid_message", detail: issue?.message ?? "Invalid message" };
    }
    const existing = this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND client_id = ?`,
        senderId,
        clientId,
      )
      .toArray()[0];
    if (existing) return { ok: true, message: toMessage(existing), duplicate: true };

    const now = Date.now();
    const row = this.sql
      .exec<MessageRow>(
        `INSERT INTO messages (id, sender_id, body, client_id, created_at, story_id) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING ${MESSAGE_COLUMNS}`,
        newId(now),
        senderId,
        body,
        clientId,
        new Date(now).toISOString(),
        storyId,
      )
      .one();
    // Sending a message means having read everything before it.
    this.sql.exec("UPDATE members SET read_seq = ? WHERE user_id = ?", row.seq, senderId);
    const message = toMessage(row);
    this.broadcast({ type: "message", message });
    this.notifyHubs(message);
    await this.changed();
    return { ok: true, message, duplicate: false };
  }

  private async read(userId: string, messageId: string): Promise<boolean> {
    const target = this.sql.exec<{ seq: number }>("SELECT seq FROM messages WHERE id = ?", messageId).toArray()[0];
    if (!target) return false;
    const moved = this.sql.exec(
      "UPDATE members SET read_seq = ? WHERE user_id = ? AND read_seq < ?",
      target.seq,
      userId,
      target.seq,
    ).rowsWritten;
    if (moved > 0) {
      this.broadcast({ type: "read", user: userId, message_id: messageId, seq: target.seq }, userId);
      await this.changed();
    }
    return true;
  }

  /**
   * Tells every member's hub about a new message (their other devices, their inbox screen). Events
   * are gathered for HUB_BATCH_MS and sent as one RPC per member, so a busy room makes a few hub
   * calls a second per member instead of one per message; the room's own sockets are not delayed.
   */
  private notifyHubs(message: ChatMessage): void {
    const conversationId = this.state("conversation_id");
    if (!conversationId) return;
    const event: HubEvent = { type: "message", conversation_id: conversationId, message };
    for (const { user_id } of this.sql.exec<{ user_id: string }>("SELECT user_id FROM members")) {
      const queue = this.hubQueue.get(user_id);
      if (queue) queue.push(event);
      else this.hubQueue.set(user_id, [event]);
    }
    this.hubTimer ??= setTimeout(() => this.flushHubs(), HUB_BATCH_MS);
  }

  private flushHubs(): void {
    const batches = [...this.hubQueue];
    this.hubQueue.clear();
    this.hubTimer = null;
    const deliveries = batches.map(([userId, events]) =>
      this.env.USER_HUB.get(this.env.USER_HUB.idFromName(userId)).publishMany(events),
    );
    // Best effort: the message is stored and listed either way; a hub is a notification channel.
    this.ctx.waitUntil(
      Promise.allSettled(deliveries).then((results) => {
        for (const r of results) if (r.status === "rejected") console.error("hub delivery failed", r.reason);
      }),
    );
  }

  private async changed(): Promise<void> {
    this.setState("version", String(Number(this.state("version") ?? 0) + 1));
    await this.armFlush();
  }

  private async armFlush(): Promise<void> {
    if (this.flushArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + Number(this.env.CHAT_INBOX_FLUSH_MS));
    }
    this.flushArmed = true;
  }

  /** Why `userId` may not act in this room now, or null. Loads the room from D1 on first use. */
  private async refusalFor(
    conversationId: string,
    userId: string,
    options: { allowClosed?: boolean } = {},
  ): Promise<RoomRefusal | null> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return "not_found";
    const refusal = this.memberRefusal(userId);
    if (refusal === "closed" && options.allowClosed) return null;
    return refusal;
  }

  private memberRefusal(userId: string): RoomRefusal | null {
    const member = this.sql.exec("SELECT 1 FROM members WHERE user_id = ?", userId).toArray().length > 0;
    if (!member) return "not_member";
    if (this.state("closed") === "1") return "closed";
    return null;
  }

  private async ensureLoaded(conversationId: string): Promise<"ok" | "not_found"> {
    const known = this.state("conversation_id");
    if (known) return known === conversationId ? "ok" : "not_found";
    return this.ctx.blockConcurrencyWhile(async () => {
      if (this.state("conversation_id")) return this.state("conversation_id") === conversationId ? "ok" : "not_found";
      const members = await roomMembers(dbFor(this.env.DB), conversationId);
      if (members.length === 0) return "not_found";
      for (const m of members) {
        this.sql.exec("INSERT OR IGNORE INTO members (user_id, read_seq) VALUES (?, ?)", m.user_id, m.last_read_seq);
      }
      this.setState("conversation_id", conversationId);
      return "ok";
    });
  }

  private lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM messages").one().seq ?? 0;
  }

  private state(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM room WHERE key = ?", key).toArray()[0]?.value;
  }

  private setState(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO room (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  private broadcast(frame: ServerFrame, exceptUserId?: string): void {
    const text = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      if (exceptUserId && (ws.deserializeAttachment() as Attachment).userId === exceptUserId) continue;
      try {
        ws.send(text);
      } catch {
        // A socket closing under us; its close handler tidies up.
      }
    }
  }

  private sendTo(ws: WebSocket, frame: ServerFrame): void {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // Closed meanwhile.
    }
  }

  private frameError(ws: WebSocket, code: FrameErrorCode, detail: string, clientId?: string): void {
    this.sendTo(ws, { type: "error", code, detail, ...(clientId === undefined ? {} : { client_id: clientId }) });
  }

  /** Token bucket per connection: CHAT_FRAME_BURST frames at once, CHAT_FRAMES_PER_SECOND after. */
  private takeToken(connId: string): boolean {
    const now = Date.now();
    const burst = Number(this.env.CHAT_FRAME_BURST);
    const bucket = this.buckets.get(connId) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + ((now - bucket.at) / 1000) * Number(this.env.CHAT_FRAMES_PER_SECOND),
    );
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(connId, bucket);
      return false;
    }
    bucket.tokens -= 1;
    this.buckets.set(connId, bucket);
    return true;
  }
}

function parseFrame(text: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const result = ClientFrameSchema.safeParse(raw);
  return result.success ? result.data : null;
}
