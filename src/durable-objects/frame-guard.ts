import { CLOSE_TOO_BIG, type HubEvent, MAX_FRAME_BYTES, type ServerFrame } from "../features/chat/chat.protocol";
import type { Clock } from "../platform";
import { type BucketState, type Rate, takeToken } from "./chat-room/token-bucket";

const utf8 = new TextEncoder();

/** A frame's size in bytes as it came over the wire (text frames are UTF-8). */
function frameBytes(data: string | ArrayBuffer): number {
  if (typeof data !== "string") return data.byteLength;
  // UTF-8 never takes fewer bytes than UTF-16 units, so a long string is over the cap uncounted.
  return data.length > MAX_FRAME_BYTES ? data.length : utf8.encode(data).byteLength;
}

/**
 * The limits on every frame a client sends, the same for a room's sockets and a user's hub
 * (docs/security.md D8): a frame over MAX_FRAME_BYTES closes its socket with 1009 before anything
 * parses it, and each connection has its own token bucket (the `chat.frameBurst` /
 * `chat.framesPerSecond` settings) past which its frames get an `error` frame `rate_limited` and
 * are dropped; the socket stays open.
 *
 * The buckets live in the object's memory, keyed by the connection id in the socket's attachment.
 * Hibernation forgets them, which only gives each connection a full bucket again: an object
 * hibernates after its sockets have been idle, and a full bucket is what an idle connection has
 * earned anyway.
 */
export class FrameGuard {
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    private readonly rate: Rate,
    private readonly clock: Clock,
  ) {}

  /** Whether the caller should handle this frame; if not, the socket has already been answered. */
  admit(ws: WebSocket, connId: string, data: string | ArrayBuffer): boolean {
    if (frameBytes(data) > MAX_FRAME_BYTES) {
      this.buckets.delete(connId);
      try {
        ws.close(CLOSE_TOO_BIG, "Frame too large");
      } catch {
        // Already closing.
      }
      return false;
    }
    const { allowed, state } = takeToken(this.buckets.get(connId), this.rate, this.clock.now().getTime());
    this.buckets.set(connId, state);
    if (allowed) return true;
    const frame = {
      type: "error",
      code: "rate_limited",
      detail: `Slow down: at most ${this.rate.perSecond} frames a second`,
    } as const satisfies ServerFrame & HubEvent;
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // Closed meanwhile.
    }
    return false;
  }

  /** The connection closed: its bucket is not needed any more. */
  forget(connId: string): void {
    this.buckets.delete(connId);
  }

  /**
   * The client closed: forget its bucket and complete the close handshake (a code the client may
   * not send back, 1005 "none" or 1006 "abnormal", is answered with 1000).
   */
  closed(ws: WebSocket, connId: string, code: number, reason: string): void {
    this.forget(connId);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }
}
