import { DurableObject } from "cloudflare:workers";
import { type HubEvent, MAX_SOCKETS_PER_USER, UPGRADE_USER_HEADER } from "../features/chat/chat.protocol";
import { platformFor } from "../platform";
import { FrameGuard } from "./frame-guard";

/** A hub socket's attachment: ids only, so it survives hibernation. */
interface HubAttachment {
  userId: string;
  /** One per socket: the key of its frame budget. */
  connId: string;
}

const attachmentOf = (ws: WebSocket): HubAttachment => ws.deserializeAttachment() as HubAttachment;

/**
 * One per user: the socket a client keeps open for everything that happens to that user (a new
 * message in any conversation now; notifications and story events later). Events are delivered to
 * the sockets open at that moment and not stored: what they announce is stored where it belongs
 * (a room's messages, D1's inbox) and a reconnecting client reads it from there.
 *
 * Clients only ping this socket (answered by the runtime without waking the object), yet every
 * other frame still costs a wake-up, so frames get the rooms' limits (`FrameGuard`, docs/security.md
 * D8): 1009 over the size cap, a per-connection budget after that. The settings and the clock come
 * from `platformFor`, so an invalid chat setting fails the hub closed as it does a room.
 */
export class UserHub extends DurableObject<Env> {
  private readonly frames: FrameGuard;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const platform = platformFor(env);
    const { frameBurst, framesPerSecond } = platform.config.chat;
    this.frames = new FrameGuard({ burst: frameBurst, perSecond: framesPerSecond }, platform.clock);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  /** Sends the events, in order, to the user's open sockets; answers how many sockets got them. */
  async publishMany(events: HubEvent[]): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    // Most members of a busy group have no hub socket open: nothing to serialise for them.
    if (sockets.length === 0) return 0;
    const frames = events.map((event) => JSON.stringify(event));
    let delivered = 0;
    for (const ws of sockets) {
      try {
        for (const frame of frames) ws.send(frame);
        delivered++;
      } catch {
        // Closing; its close handler tidies up.
      }
    }
    return delivered;
  }

  /** The account's sessions ended (suspension, issue 19's session revocation): close every socket. */
  async closeAll(code: number, reason: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.close(code, reason);
  }

  /** Only for the WebSocket upgrade, which the Worker has already authorized. */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get(UPGRADE_USER_HEADER);
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId) {
      return new Response(null, { status: 426 });
    }
    if (this.ctx.getWebSockets().length >= MAX_SOCKETS_PER_USER) return new Response(null, { status: 429 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [userId]);
    server.serializeAttachment({ userId, connId: crypto.randomUUID() } satisfies HubAttachment);
    server.send(JSON.stringify({ type: "ready", user_id: userId } satisfies HubEvent));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Clients have nothing to say on this socket beyond pings, which the runtime answers. */
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    if (!this.frames.admit(ws, attachmentOf(ws).connId, data)) return;
    const frame: HubEvent = { type: "error", code: "invalid_frame", detail: "This socket only sends events" };
    ws.send(JSON.stringify(frame));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.frames.closed(ws, attachmentOf(ws).connId, code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.frames.forget(attachmentOf(ws).connId);
  }
}
