import { ApiError } from "../../http/errors";
import type { Platform } from "../../platform";
import { sha256Hex } from "../../platform/crypto";
import { consumeTicket } from "./chat.repo";

/**
 * What every socket upgrade checks before any Durable Object is called, for chat rooms, the user
 * hub and live rooms alike: that it is an upgrade, that a browser's Origin is one of ours
 * (cross-site WebSocket hijacking: the Worker's own origin, where the web client is served, or one of
 * CORS_ORIGINS), and that the ticket is fresh, unused and for this scope (it is
 * used up here, whatever happens next). Answers the ticket's user; `notFound` is what a ticket for
 * another scope gets, the same answer as for a room the caller may not see.
 */
export async function admitSocket(
  deps: Pick<Platform, "db" | "clock" | "config">,
  request: Request,
  ticket: string,
  scope: string,
  notFound: () => ApiError,
): Promise<string> {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("upgrade_required", "This endpoint only accepts a WebSocket upgrade.", {
      headers: { upgrade: "websocket" },
    });
  }
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== new URL(request.url).origin && !deps.config.corsOrigins.includes(origin)) {
    throw new ApiError("forbidden", "WebSocket connections are not accepted from this origin.");
  }
  const used = await consumeTicket(deps.db, await sha256Hex(ticket), deps.clock.now().toISOString());
  if (!used) throw new ApiError("unauthorized", "The ticket is unknown, expired or already used.");
  if (used.scope !== scope) throw notFound();
  return used.user_id;
}

/** The object answered the upgrade itself: pass its socket on in a response whose headers we own. */
export function relayUpgrade(res: Response, notFound: () => ApiError): Response {
  if (res.status === 101 && res.webSocket) return new Response(null, { status: 101, webSocket: res.webSocket });
  if (res.status === 429) {
    throw new ApiError("rate_limited", "Too many open sockets; close one first.", { headers: { "retry-after": "5" } });
  }
  if (res.status === 409) throw new ApiError("conflict", "This room is closed.");
  throw notFound();
}

/**
 * A Durable Object call. An overloaded object answers 503 with `retry-after` instead of a 500, so
 * clients back off (docs/security.md I8); other errors are real faults and propagate.
 */
export async function objectCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Error && ("overloaded" in err || "retryable" in err)) {
      throw new ApiError("unavailable", "The room is busy; try again shortly.", { headers: { "retry-after": "1" } });
    }
    throw err;
  }
}
