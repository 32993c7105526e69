import { ClientFrameSchema, type FrameErrorCode, type ServerFrame } from "../../features/chat/chat.protocol";

/**
 * The room's socket plumbing. A socket's attachment holds ids only: it survives hibernation, and
 * everything else is read back from the room's storage when the object wakes.
 */
export interface Attachment {
  userId: string;
  /** One per socket: the key of its frame budget. */
  connId: string;
}

export const attachmentOf = (ws: WebSocket): Attachment => ws.deserializeAttachment() as Attachment;

export function sendTo(ws: WebSocket, frame: ServerFrame): void {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // Closed meanwhile.
  }
}

/** Sends `frame` to every socket, but those of `exceptUserId` when given. */
export function broadcast(sockets: WebSocket[], frame: ServerFrame, exceptUserId?: string): void {
  const text = JSON.stringify(frame);
  for (const ws of sockets) {
    if (exceptUserId && attachmentOf(ws).userId === exceptUserId) continue;
    try {
      ws.send(text);
    } catch {
      // A socket closing under us; its close handler tidies up.
    }
  }
}

export function frameError(ws: WebSocket, code: FrameErrorCode, detail: string, clientId?: string): void {
  sendTo(ws, { type: "error", code, detail, ...(clientId === undefined ? {} : { client_id: clientId }) });
}

/** A client frame, or null when the text is not JSON or not a frame the room knows. */
export function parseFrame(text: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const result = ClientFrameSchema.safeParse(raw);
  return result.success ? result.data : null;
}
