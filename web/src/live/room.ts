import { useCallback, useEffect, useReducer, useRef } from "react";
import type { Schemas } from "../api/client";
import { RealtimeSocket } from "../realtime/socket";

export type LiveComment = Schemas["LiveComment"];
type ServerFrame = Schemas["LiveServerFrame"];
type ClientFrame = Schemas["LiveClientFrame"];

/** A comment this window sent that the room has not echoed back yet (or refused). */
export interface PendingComment {
  client_id: string;
  body: string;
  failed: string | null;
}

export type Connection = "connecting" | "open" | "reconnecting" | "ended" | "removed" | "unavailable";

export interface RoomState {
  connection: Connection;
  role: "host" | "viewer" | null;
  comments: LiveComment[];
  pending: PendingComment[];
  pinned: LiveComment | null;
  commentsOff: boolean;
  viewerCount: number | null;
  hearts: number;
  /** Hearts that arrived in the last frame, for the little animation (a counter so each burst is new). */
  burst: { id: number; count: number };
  /** A refusal not tied to one comment (rate limited, forbidden…), in the server's words. */
  notice: string | null;
}

/** Comments kept in memory: a long session's early comments are in the replay (GET …/comments). */
const KEEP = 500;
/** The room's close codes that end it for good (src/durable-objects/live-room.ts). */
const CLOSE_ENDED = 4000;
const CLOSE_REMOVED = 4003;

const initial: RoomState = {
  connection: "connecting",
  role: null,
  comments: [],
  pending: [],
  pinned: null,
  commentsOff: false,
  viewerCount: null,
  hearts: 0,
  burst: { id: 0, count: 0 },
  notice: null,
};

type Action =
  | { kind: "frame"; frame: ServerFrame; me: string | null }
  | { kind: "connection"; connection: Connection }
  | { kind: "queue"; comment: PendingComment }
  | { kind: "dismiss"; client_id: string };

/** Adds comments by id (a reconnect's `recent` repeats some), in the room's order. */
export function mergeComments(into: LiveComment[], more: LiveComment[]): LiveComment[] {
  if (more.length === 0) return into;
  const byId = new Map(into.map((c) => [c.id, c]));
  for (const c of more) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => a.seq - b.seq).slice(-KEEP);
}

function reduce(state: RoomState, action: Action): RoomState {
  if (action.kind === "connection") return { ...state, connection: action.connection };
  if (action.kind === "queue") return { ...state, pending: [...state.pending, action.comment], notice: null };
  if (action.kind === "dismiss") {
    return { ...state, pending: state.pending.filter((p) => p.client_id !== action.client_id) };
  }
  const { frame, me } = action;
  // The room echoes a sender's own comments: that echo is the confirmation of a pending one.
  const confirm = (comments: LiveComment[]) =>
    state.pending.filter((p) => !comments.some((c) => c.client_id === p.client_id && c.user.id === me));
  switch (frame.type) {
    case "ready":
      return {
        ...state,
        connection: "open",
        role: frame.role,
        comments: mergeComments(state.comments, frame.recent),
        pending: confirm(frame.recent),
        pinned: frame.pinned,
        commentsOff: frame.comments_off,
        viewerCount: frame.viewer_count,
      };
    case "comment":
      return { ...state, comments: mergeComments(state.comments, frame.comments), pending: confirm(frame.comments) };
    case "reactions":
      return { ...state, hearts: frame.total, burst: { id: state.burst.id + 1, count: frame.count } };
    case "viewer_count":
      return { ...state, viewerCount: frame.count };
    case "pinned":
      return { ...state, pinned: frame.comment };
    case "comment_removed":
      return {
        ...state,
        comments: state.comments.filter((c) => c.id !== frame.comment_id),
        pinned: state.pinned?.id === frame.comment_id ? null : state.pinned,
      };
    case "comments_off":
      return { ...state, commentsOff: frame.off };
    case "ended":
      return { ...state, connection: "ended" };
    case "error": {
      const { client_id } = frame;
      if (client_id && state.pending.some((p) => p.client_id === client_id)) {
        return {
          ...state,
          pending: state.pending.map((p) => (p.client_id === client_id ? { ...p, failed: frame.detail } : p)),
        };
      }
      return { ...state, notice: frame.detail };
    }
    default:
      return state;
  }
}

/** 1-64 of A-Z a-z 0-9 _ - (the room's rule); randomUUID needs a secure context, so a fallback. */
function newClientId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * A live session's room over its WebSocket (docs/live.md): a one-use ticket for `live:{id}`,
 * then `ready` (the last 50 comments, the pinned one, the viewer count) and frames as they come.
 * A dropped socket reconnects like every socket of the app (web/src/realtime/socket.ts: a new
 * ticket each time, backoff with jitter); comments typed meanwhile wait and go out once the room is
 * back (the room stores a sender's client_id once, so a resend is never a duplicate). The room
 * closing with 4000 (ended) or 4003 (removed), or the ticket refused as ended or hidden, stops it
 * for good.
 */
export function useLiveRoom(sessionId: string, active: boolean, me: string | null) {
  const [state, dispatch] = useReducer(reduce, initial);
  const socket = useRef<RealtimeSocket<ServerFrame, ClientFrame> | null>(null);
  const pendingRef = useRef<PendingComment[]>([]);
  pendingRef.current = state.pending;
  const meRef = useRef(me);
  meRef.current = me;

  useEffect(() => {
    if (!active) return;
    const room = new RealtimeSocket<ServerFrame, ClientFrame>({
      scope: `live:${sessionId}`,
      path: (ticket) => `/v1/live/${encodeURIComponent(sessionId)}/ws?ticket=${ticket}`,
      finalCloseCodes: [CLOSE_ENDED, CLOSE_REMOVED],
      finalTicketStatuses: [401, 403, 404, 409],
      onFrame: (frame) => {
        dispatch({ kind: "frame", frame, me: meRef.current });
        if (frame.type === "ready") {
          // Comments typed while the socket was away go out now (and resent ones are stored once).
          for (const p of pendingRef.current) {
            if (!p.failed) room.send({ type: "comment", body: p.body, client_id: p.client_id });
          }
        }
      },
      onStatus: (status) => {
        if (status === "connecting" || status === "offline") {
          dispatch({ kind: "connection", connection: socket.current?.wasOpen ? "reconnecting" : "connecting" });
        }
      },
      onEnd: ({ code, problem }) => {
        if (code === CLOSE_ENDED || problem?.status === 409) dispatch({ kind: "connection", connection: "ended" });
        else if (code === CLOSE_REMOVED) dispatch({ kind: "connection", connection: "removed" });
        else dispatch({ kind: "connection", connection: "unavailable" });
      },
    });
    socket.current = room;
    dispatch({ kind: "connection", connection: "connecting" });
    room.start();
    return () => {
      room.stop();
      socket.current = null;
    };
  }, [sessionId, active]);

  const send = useCallback((frame: ClientFrame): boolean => socket.current?.send(frame) ?? false, []);

  const comment = useCallback(
    (body: string) => {
      const client_id = newClientId();
      dispatch({ kind: "queue", comment: { client_id, body, failed: null } });
      send({ type: "comment", body, client_id });
    },
    [send],
  );

  const dismiss = useCallback((client_id: string) => dispatch({ kind: "dismiss", client_id }), []);

  return { state, send, comment, dismiss };
}
