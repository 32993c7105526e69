import createClient from "openapi-fetch";
import { noteBookmark, sendBookmark } from "./bookmark";
import { ApiProblem } from "./problem";
import type { components, paths } from "./schema";
import { refreshSession, validAccessToken } from "./session";

export type Schemas = components["schemas"];

/**
 * The server marks a 401 about the token itself with RFC 6750's `error="invalid_token"`; other
 * 401s (a wrong password) are answers to show, and refreshing would not change them.
 */
const tokenRefused = (response: Response) =>
  response.status === 401 && /error="invalid_token"/.test(response.headers.get("www-authenticate") ?? "");

/**
 * Every request the app makes goes through here: it carries the access token (refreshed first when
 * it is about to expire) and, when the server still refuses the token (it expired in flight, or
 * the session ended), refreshes once (single-flight, web/src/api/session.ts) and sends the request
 * again; when the refresh fails too, the session is cleared and the app shows the sign-in screen.
 * Each request also carries the latest D1 bookmark and keeps the one it is answered
 * (web/src/api/bookmark.ts), so what this browser wrote is what it reads next.
 */
async function authorizedFetch(request: Request): Promise<Response> {
  const token = await validAccessToken();
  const again = request.clone();
  if (token) request.headers.set("authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await send(request);
  } catch {
    throw ApiProblem.network();
  }
  if (!token || !tokenRefused(response)) return response;
  const fresh = await refreshSession(token);
  if (!fresh) return response;
  again.headers.set("authorization", `Bearer ${fresh}`);
  try {
    return await send(again);
  } catch {
    throw ApiProblem.network();
  }
}

/** One request with the latest bookmark, keeping the bookmark of its answer. */
async function send(request: Request): Promise<Response> {
  sendBookmark(request.headers);
  const response = await fetch(request);
  noteBookmark(response);
  return response;
}

/** The typed client: paths, parameters, bodies and answers all come from web/src/api/schema.d.ts. */
export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authorizedFetch });

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * The answer's body, or an ApiProblem carrying the server's problem+json. Screens call
 * `data(await api.GET(...))` and let React Query (or their own catch) show the problem.
 */
export async function data<T>(result: Result<T>): Promise<T> {
  if (result.response.ok) return result.data as T;
  throw await ApiProblem.from(result.response, result.error);
}
