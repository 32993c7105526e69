import { DurableObject } from "cloudflare:workers";
import { type HubEvent, MAX_SOCKETS_PER_USER, UPGRADE_USER_HEADER } from "../features/chat/chat.protocol";

/**
 * One per user: the socket a client keeps open for everything that happens to that user (a new
 * message in any conversation now; notifications and story events later). Events are delivered to
 * the sockets open at that moment and not stored: what they announce is stored where it belongs
 * (a room's messages, D1's inbox) and a reconnecting client reads it from there.
 */
export class UserHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  /** Sends the events, in order, to the user's open sockets; answers how many sockets got them. */
  async publishMany(events: HubEvent[]): Promise<number> {
    const frames = events.map((event) => JSON.stringify(event));
    let delivered = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        for (const frame of frames) ws.send(frame);
        delivered++;
      } catch {
        // Closing; its close handler tidies up.
      }
    }
    return delivered;
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
    server.serializeAttachment({ userId });
    server.send(JSON.stringify({ type: "ready", user_id: userId } satisfies HubEvent));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Clients have nothing to say on this socket beyond pings, which the runtime answers. */
  override async webSocketMessage(ws: WebSocket): Promise<void> {
    ws.send(JSON.stringify({ type: "error", code: "invalid_frame", detail: "This socket only sends events" }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }
}
