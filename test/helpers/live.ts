import { expect } from "vitest";
import { api, apiWithEnv } from "./api";
import { TestSocket, ticketFor, upgrade } from "./chat";
import type { TestUser } from "./factories";

/** Live sessions for tests: created with the fake Stream API, or comments-only without it. */
export interface Session {
  id: string;
  host: { username: string };
  title: string;
  status: string;
  audience: string;
  started_at: string | null;
  ended_at: string | null;
  ingest: Record<string, string | null> | null;
  playback: Record<string, string | null> | null;
}

export const STREAM_WEBHOOK_SECRET = "test-stream-webhook-secret-0123";

/** Creates a session with the fake Stream API: it goes live when its input connects. */
export async function goLive(host: TestUser, body: Record<string, unknown> = {}): Promise<Session> {
  const res = await api("POST", "/v1/live", { token: host.accessToken, body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Session;
}

export function inputUid(session: Session): string {
  return (session.ingest?.stream_key ?? "").replace(/^key-/, "");
}

/** A Stream live-input webhook, signed unless `secret` says otherwise (null: no header at all). */
export const webhook = (inputId: string, event: string, secret: string | null = STREAM_WEBHOOK_SECRET) =>
  api("POST", "/webhooks/stream/live", {
    headers: secret === null ? {} : { "cf-webhook-auth": secret },
    body: {
      name: "Live Webhook",
      text: "",
      data: { notification_name: "Stream Live Input", input_id: inputId, event_type: event },
    },
  });

/** The same Worker with Stream left unconfigured: comments-only sessions. */
export function withoutStream(method: string, path: string, user: TestUser, body?: unknown) {
  return apiWithEnv({ STREAM_ACCOUNT_ID: "", STREAM_API_TOKEN: "" }, method, path, user, body);
}

/** A comments-only session, created and started by the host over HTTP. */
export async function startCommentsOnly(host: TestUser, body: Record<string, unknown> = {}): Promise<Session> {
  const created = await withoutStream("POST", "/v1/live", host, body);
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as Session;
  const started = await withoutStream("POST", `/v1/live/${id}/start`, host);
  expect(started.status, await started.clone().text()).toBe(200);
  return (await started.json()) as Session;
}

/** Opens `user`'s socket on a live session's room and waits for its `ready` frame. */
export async function joinLive(user: TestUser, sessionId: string): Promise<TestSocket> {
  const t = await ticketFor(user, `live:${sessionId}`);
  const up = await upgrade(`/v1/live/${sessionId}/ws?ticket=${t}`);
  if (up.status !== 101 || !up.webSocket) throw new Error(`no upgrade: ${up.status} ${await up.text()}`);
  const socket = new TestSocket(up.webSocket);
  await socket.until((f) => f.some((x) => x.type === "ready"), "ready");
  return socket;
}

/** The comments a live-room socket has received so far. */
export const liveCommentsIn = (socket: TestSocket): { id: string; body: string; user: { id: string } }[] =>
  socket
    .of("comment")
    .flatMap((f) => (f as unknown as { comments: { id: string; body: string; user: { id: string } }[] }).comments);
