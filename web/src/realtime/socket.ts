import { api, data } from "../api/client";
import { ApiProblem } from "../api/problem";
import { clearSession, currentSession, refreshSession } from "../api/session";

/**
 * One realtime WebSocket that stays up: it asks for a one-use ticket (POST /v1/realtime/tickets),
 * opens the socket, keeps it alive with pings, and after a drop opens it again with capped
 * exponential backoff and jitter (so a server restart is not met by every tab at the same instant).
 *
 * Close codes (src/features/chat/chat.protocol.ts): 4001 = the account's sessions ended, so the
 * session is refreshed once and the app signs out if that fails; 4003 = membership gone (left, a
 * block), which no retry would change. Every socket of the app (the user hub, chat rooms, live
 * rooms, a post's live comments) is one of these.
 */
export type SocketStatus = "connecting" | "open" | "offline" | "closed";

interface Options<In> {
  /** The ticket's scope: `user` or `conversation:<id>`. */
  scope: string;
  /** Path and query of the socket for a ticket, e.g. `/v1/realtime?ticket=…`. */
  path: (ticket: string) => string;
  onFrame: (frame: In) => void;
  onStatus?: (status: SocketStatus) => void;
  /** Close codes that end the socket for good (default: 4003); a live room adds 4000 (ended). */
  finalCloseCodes?: number[];
  /** Ticket refusals that end it for good (default 401, 403, 404); a live room adds 409 (ended). */
  finalTicketStatuses?: number[];
  /** Why it ended for good: the close code, or the problem the ticket request answered. */
  onEnd?: (why: { code?: number; problem?: ApiProblem }) => void;
}

const CLOSE_SESSION_ENDED = 4001;
const CLOSE_REVOKED = 4003;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** The server's runtime answers pings without waking anything; they also show a dead link. */
const PING_EVERY_MS = 25_000;
/** Nothing heard for this long (not even a pong) means the connection is gone without a close. */
const SILENCE_MS = 60_000;

const socketUrl = (path: string): string =>
  `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;

export class RealtimeSocket<In extends { type: string }, Out> {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private stopped = false;
  private greeted = false;
  private status: SocketStatus = "connecting";
  private readonly options: Options<In>;
  private readonly online = () => this.reconnectNow();
  private readonly offline = () => {
    // The browser says the network is gone: the socket is dead even if no close has arrived yet.
    this.drop();
    clearTimeout(this.retryTimer);
    this.setStatus("offline");
  };

  constructor(options: Options<In>) {
    this.options = options;
  }

  start(): void {
    window.addEventListener("online", this.online);
    window.addEventListener("offline", this.offline);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.online);
    window.removeEventListener("offline", this.offline);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, "Done");
    }
  }

  /** Sends a frame when the socket is open; false when it is not (the caller falls back to HTTP). */
  send(frame: Out): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== "open") return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  isOpen(): boolean {
    return this.status === "open";
  }

  /** Whether the server has greeted this socket at least once (a drop after that is a reconnect). */
  get wasOpen(): boolean {
    return this.greeted;
  }

  /** Back online (or asked to): try at once instead of waiting out the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.status === "closed") return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    if (!this.ws) void this.connect();
  }

  private setStatus(status: SocketStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.ws) return;
    if (!navigator.onLine) {
      this.setStatus("offline");
      return;
    }
    this.setStatus("connecting");
    let ticket: string;
    try {
      ticket = (await data(await api.POST("/v1/realtime/tickets", { body: { scope: this.options.scope } }))).ticket;
    } catch (error) {
      if (this.stopped) return;
      // Not a member (any more), or signed out: asking again will not change the answer.
      if (error instanceof ApiProblem && (this.options.finalTicketStatuses ?? [401, 403, 404]).includes(error.status)) {
        this.setStatus("closed");
        this.options.onEnd?.({ problem: error });
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped || this.ws) return;
    const ws = new WebSocket(socketUrl(this.options.path(encodeURIComponent(ticket))));
    this.ws = ws;
    this.lastHeard = Date.now();
    ws.onopen = () => {
      this.lastHeard = Date.now();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    };
    ws.onmessage = (event: MessageEvent) => {
      this.lastHeard = Date.now();
      if (typeof event.data !== "string") return;
      let frame: unknown;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object" || !("type" in frame) || typeof frame.type !== "string") return;
      if (frame.type === "pong") return;
      if (frame.type === "ready") {
        // Only a socket the server greeted resets the backoff: one that opens and closes at once
        // (a refused upgrade behind a proxy, an overloaded object) keeps backing off.
        this.attempt = 0;
        this.greeted = true;
        this.setStatus("open");
      }
      this.options.onFrame(frame as In);
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      void this.closed(event.code);
    };
  }

  private ping(): void {
    if (!this.ws) return;
    if (Date.now() - this.lastHeard > SILENCE_MS) {
      this.drop();
      this.retry();
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send('{"type":"ping"}');
  }

  /** Forgets the current socket without waiting for its close (which may never come on a dead link). */
  private drop(): void {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.pingTimer);
    if (!ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    ws.close();
  }

  private async closed(code: number): Promise<void> {
    if (this.stopped) return;
    if ((this.options.finalCloseCodes ?? [CLOSE_REVOKED]).includes(code)) {
      this.setStatus("closed");
      this.options.onEnd?.({ code });
      return;
    }
    if (code === CLOSE_SESSION_ENDED) {
      this.setStatus("connecting");
      const fresh = await refreshSession(currentSession().accessToken);
      if (!fresh) {
        clearSession();
        this.stop();
        return;
      }
    }
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    this.setStatus(navigator.onLine ? "connecting" : "offline");
    if (!navigator.onLine) return;
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    // "Equal jitter": at least half the ceiling, so retries still back off, spread over the rest.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}
