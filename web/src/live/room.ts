import { useCallback, useEffect, useReducer, useRef } from "react";
import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";

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
const PING_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

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

function isServerFrame(value: unknown): value is ServerFrame {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

/**
 * A live session's room over its WebSocket (docs/live.md): a one-use ticket for `live:{id}`,
 * then `ready` (the last 50 comments, the pinned one, the viewer count) and frames as they come.
 * A dropped socket reconnects with exponential backoff and jitter (1 s doubling to 30 s), with a
 * new ticket each time; comments typed meanwhile wait and go out once the room is back (the room
 * stores a sender's client_id once, so a resend is never a duplicate). The room closing with
 * 4000 (ended) or 4003 (removed), or the ticket refused as ended or hidden, stops it for good.
 */
export function useLiveRoom(sessionId: string, active: boolean, me: string | null) {
  const [state, dispatch] = useReducer(reduce, initial);
  const socket = useRef<WebSocket | null>(null);
  const pendingRef = useRef<PendingComment[]>([]);
  pendingRef.current = state.pending;
  const meRef = useRef(me);
  meRef.current = me;

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;

    const schedule = () => {
      if (stopped) return;
      dispatch({ kind: "connection", connection: "reconnecting" });
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      retry = setTimeout(() => void connect(), delay);
    };

    async function connect() {
      let ticket: string;
      try {
        ticket = (await data(await api.POST("/v1/realtime/tickets", { body: { scope: `live:${sessionId}` } }))).ticket;
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiProblem && error.status === 409) {
          dispatch({ kind: "connection", connection: "ended" });
        } else if (error instanceof ApiProblem && (error.status === 404 || error.status === 403)) {
          dispatch({ kind: "connection", connection: "unavailable" });
        } else {
          schedule();
        }
        return;
      }
      if (stopped) return;
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(
        `${scheme}://${location.host}/v1/live/${encodeURIComponent(sessionId)}/ws?ticket=${encodeURIComponent(ticket)}`,
      );
      socket.current = ws;
      ws.onopen = () => {
        ping = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
        }, PING_MS);
      };
      ws.onmessage = (event) => {
        let frame: unknown;
        try {
          frame = JSON.parse(String(event.data));
        } catch {
          return;
        }
        if (!isServerFrame(frame) || (frame as { type: string }).type === "pong") return;
        dispatch({ kind: "frame", frame, me: meRef.current });
        if (frame.type === "ready") {
          attempt = 0;
          // Comments typed while the socket was away go out now (and resent ones are stored once).
          for (const p of pendingRef.current) {
            if (!p.failed) ws.send(JSON.stringify({ type: "comment", body: p.body, client_id: p.client_id }));
          }
        }
      };
      ws.onclose = (event) => {
        clearInterval(ping);
        if (socket.current === ws) socket.current = null;
        if (stopped) return;
        if (event.code === 4000) dispatch({ kind: "connection", connection: "ended" });
        else if (event.code === 4003) dispatch({ kind: "connection", connection: "removed" });
        else schedule();
      };
    }

    dispatch({ kind: "connection", connection: "connecting" });
    void connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket.current?.close(1000, "left");
      socket.current = null;
    };
  }, [sessionId, active]);

  const send = useCallback((frame: ClientFrame): boolean => {
    const ws = socket.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }, []);

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
