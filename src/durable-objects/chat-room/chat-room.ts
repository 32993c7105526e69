import { DurableObject } from "cloudflare:workers";
import {
  type ChatMessage,
  CLOSE_REVOKED,
  ClientIdSchema,
  type HistoryResult,
  MAX_SOCKETS_PER_USER,
  MessageBodySchema,
  RESUME_MAX_MESSAGES,
  type RoomRefusal,
  type SendResult,
  type ServerFrame,
  UPGRADE_CONVERSATION_HEADER,
  UPGRADE_USER_HEADER,
} from "../../features/chat/chat.protocol";
import { roomMembers } from "../../features/chat/chat.repo";
import { type Clock, type Db, platformFor, type Realtime } from "../../platform";
import { newId } from "../../platform/ids";
import { FrameGuard } from "../frame-guard";
import { HubBatcher } from "./hub-batcher";
import { InboxFlush } from "./inbox-flush";
import { RoomStore } from "./room-store";
import { type Attachment, attachmentOf, broadcast, frameError, parseFrame, sendTo } from "./sockets";

/**
 * One conversation: its messages (stored once, numbered 1, 2, 3… by `seq`), its members' read
 * positions, and its members' WebSockets. Storage is in `RoomStore`; this class decides.
 *
 * - Hibernation API: sockets are accepted with `ctx.acceptWebSocket`, so the object can be evicted
 *   from memory while they stay open; each socket's attachment holds only ids, everything else is
 *   read back from SQLite, so a woken object serves them as before (docs/security.md I2). Pings
 *   are answered by the runtime without waking the object (`setWebSocketAutoResponse`).
 * - Membership is loaded from D1 (the source of truth) the first time the room is used, and after
 *   that changed by the Worker through `removeMember` / `setClosed`, which also close the sockets
 *   concerned (docs/security.md I9). Every RPC, upgrade and frame is checked against the stored
 *   membership, not left to the Worker's checks, and a call naming another conversation than the
 *   one the object is named after is refused (docs/security.md A6).
 * - The inbox index in D1 (last message, members' read positions, sort order) is written by the
 *   alarm a moment after the first unflushed change, with backoff after a failure (`InboxFlush`).
 * - Everything outside the room (D1, the hubs, the settings, the time) comes from `platformFor`:
 *   an invalid chat setting throws a ConfigError here, so the room fails closed.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly realtime: Realtime;
  private readonly hubs: HubBatcher;
  private readonly inbox: InboxFlush;
  /** The size cap and per-connection frame budgets, shared with the hubs (docs/security.md D8). */
  private readonly frames: FrameGuard;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const platform = platformFor(env);
    this.db = platform.db;
    this.clock = platform.clock;
    const { inboxFlushMs, frameBurst, framesPerSecond } = platform.config.chat;
    this.frames = new FrameGuard({ burst: frameBurst, perSecond: framesPerSecond }, this.clock);
    this.realtime = platform.realtime;
    this.hubs = new HubBatcher(platform.realtime, (promise) => ctx.waitUntil(promise));
    this.store = new RoomStore(ctx.storage.sql);
    this.inbox = new InboxFlush(this.store, ctx.storage, { db: this.db, clock: this.clock, flushMs: inboxFlushMs });
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
    return this.send(senderId, input.body, input.clientId, input.storyId ?? null);
  }

  /** Messages before `beforeSeq` (or the newest), newest first. */
  async history(
    conversationId: string,
    userId: string,
    page: { beforeSeq: number | null; limit: number },
  ): Promise<HistoryResult> {
    const refusal = await this.refusalFor(conversationId, userId, { allowClosed: true });
    if (refusal) return { ok: false, code: refusal };
    return { ok: true, messages: this.store.before(page.beforeSeq, page.limit) };
  }

  /**
   * A page of the messages a member sent, oldest first after `afterSeq`, for their data export
   * (docs/data-export.md): only their own, and only while they are a member.
   */
  async sentMessages(
    conversationId: string,
    userId: string,
    page: { afterSeq: number; limit: number },
  ): Promise<{ ok: true; messages: (ChatMessage & { hidden: boolean })[] } | { ok: false; code: RoomRefusal }> {
    const refusal = await this.refusalFor(conversationId, userId, { allowClosed: true });
    if (refusal) return { ok: false, code: refusal };
    return { ok: true, messages: this.store.sentBy(userId, page.afterSeq, Math.min(Math.max(page.limit, 1), 500)) };
  }

  /** Moves the member's read position up to `messageId` and tells the others. */
  async markRead(conversationId: string, userId: string, messageId: string): Promise<{ ok: boolean }> {
    if (await this.refusalFor(conversationId, userId)) return { ok: false };
    return { ok: await this.read(userId, messageId) };
  }

  /** The member left or was removed: forget them and close their sockets. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    if (await this.refusalFor(conversationId, userId, { allowClosed: true })) return;
    this.store.removeMember(userId);
    this.hubs.forget(userId);
    for (const ws of this.ctx.getWebSockets(userId)) ws.close(CLOSE_REVOKED, "No longer a member");
  }

  /**
   * One message for a report or a staff review: to a member (`userId`) only while they are one;
   * `userId` null = staff, who see it whatever its state.
   */
  async findMessage(
    conversationId: string,
    userId: string | null,
    messageId: string,
  ): Promise<(ChatMessage & { hidden: boolean }) | null> {
    if (userId === null) {
      if ((await this.ensureLoaded(conversationId)) === "not_found") return null;
    } else if (await this.refusalFor(conversationId, userId, { allowClosed: true })) {
      return null;
    }
    return this.store.findById(messageId);
  }

  /** Staff hid or restored a message: its body is withheld from (or shown again to) every reader. */
  async setMessageHidden(conversationId: string, messageId: string, hidden: boolean): Promise<boolean> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return false;
    return this.store.setHidden(messageId, hidden);
  }

  /**
   * The account `userId` was deleted and is being purged (docs/accounts.md): its messages stay for
   * the other members, shown as from a deleted account with the body erased, and it stops being a
   * member. Idempotent, so a redelivered purge step repeats it harmlessly.
   */
  async redactSender(conversationId: string, userId: string): Promise<void> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return;
    this.store.redactSender(userId);
    this.hubs.forget(userId);
    for (const ws of this.ctx.getWebSockets(userId)) ws.close(CLOSE_REVOKED, "The account was deleted");
  }

  /** The member's account was suspended: close their sockets, keep their membership. */
  async disconnect(conversationId: string, userId: string, code: number, reason: string): Promise<void> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return;
    for (const ws of this.ctx.getWebSockets(userId)) ws.close(code, reason);
  }

  /** A block between the two people of a 1:1 closes it (and unblocking opens it again). */
  async setClosed(conversationId: string, closed: boolean): Promise<void> {
    if ((await this.ensureLoaded(conversationId)) === "not_found") return;
    this.store.setClosed(closed);
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
    sendTo(server, { type: "ready", conversation_id: conversationId, last_seq: this.store.lastSeq() });
    // A client that lost its connection names the last seq it has and gets what it missed, in order.
    const params = new URL(request.url).searchParams;
    const since = Number(params.get("since"));
    if (params.has("since") && Number.isSafeInteger(since) && since >= 0) {
      for (const message of this.store.after(since, RESUME_MAX_MESSAGES)) sendTo(server, { type: "message", message });
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const { userId, connId } = attachmentOf(ws);
    if (!this.frames.admit(ws, connId, data)) return;
    const frame = typeof data === "string" ? parseFrame(data) : null;
    if (!frame) {
      frameError(ws, "invalid_frame", "Frames are JSON objects of type message, typing or read");
      return;
    }
    // Every frame is checked against stored membership: a removed member's late frame is refused.
    const refusal = this.memberRefusal(userId);
    if (refusal) {
      frameError(ws, refusal, refusal === "closed" ? "This conversation is closed" : "Not a member");
      ws.close(CLOSE_REVOKED, "No longer a member");
      return;
    }
    switch (frame.type) {
      case "message": {
        const result = await this.send(userId, frame.body, frame.client_id);
        if (!result.ok) frameError(ws, result.code, result.detail ?? "Refused", frame.client_id);
        // A resend (its first acknowledgement was lost): confirm it to this socket, store nothing.
        else if (result.duplicate) sendTo(ws, { type: "message", message: result.message });
        return;
      }
      case "typing":
        this.broadcast({ type: "typing", user: userId }, userId);
        return;
      case "read":
        if (!(await this.read(userId, frame.message_id))) frameError(ws, "not_found", "No such message");
        return;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.frames.closed(ws, attachmentOf(ws).connId, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.frames.forget(attachmentOf(ws).connId);
  }

  // ---- Inbox flush ----

  override async alarm(): Promise<void> {
    await this.inbox.run();
  }

  // ---- internals ----

  private async send(
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
    const existing = this.store.findSent(senderId, clientId);
    if (existing) return { ok: true, message: existing, duplicate: true };

    const now = this.clock.now();
    const message = this.store.insert({
      id: newId(now.getTime()),
      senderId,
      body,
      clientId,
      createdAt: now.toISOString(),
      storyId,
    });
    // Sending a message means having read everything before it.
    this.store.setRead(senderId, message.seq);
    this.broadcast({ type: "message", message });
    this.notifyHubs(message);
    await this.inbox.changed();
    return { ok: true, message, duplicate: false };
  }

  private async read(userId: string, messageId: string): Promise<boolean> {
    const seq = this.store.seqOf(messageId);
    if (seq === null) return false;
    if (this.store.advanceRead(userId, seq)) {
      this.broadcast({ type: "read", user: userId, message_id: messageId, seq }, userId);
      await this.inbox.changed();
    }
    return true;
  }

  /** Every member's hub hears of the message: their other devices, their inbox screen. */
  private notifyHubs(message: ChatMessage): void {
    const conversationId = this.store.conversationId();
    if (!conversationId) return;
    this.hubs.add(this.store.memberIds(), { type: "message", conversation_id: conversationId, message });
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
    if (!this.store.isMember(userId)) return "not_member";
    if (this.store.isClosed()) return "closed";
    return null;
  }

  private async ensureLoaded(conversationId: string): Promise<"ok" | "not_found"> {
    // A call naming another conversation than the one this object is named after is refused before
    // anything loads: otherwise an unused room would take on that conversation's members.
    if (!this.realtime.room(conversationId).id.equals(this.ctx.id)) return "not_found";
    const known = this.store.conversationId();
    if (known) return known === conversationId ? "ok" : "not_found";
    return this.ctx.blockConcurrencyWhile(async () => {
      const loaded = this.store.conversationId();
      if (loaded) return loaded === conversationId ? "ok" : "not_found";
      const members = await roomMembers(this.db, conversationId);
      if (members.length === 0) return "not_found";
      this.store.load(conversationId, members);
      return "ok";
    });
  }

  private broadcast(frame: ServerFrame, exceptUserId?: string): void {
    broadcast(this.ctx.getWebSockets(), frame, exceptUserId);
  }
}
