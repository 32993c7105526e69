import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { api } from "./api";
import type { TestUser } from "./factories";

export interface ConversationBody {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  members: { id: string; username: string }[];
  folder: "inbox" | "requests";
  last_message: { id: string; sender: string; body: string; created_at: string } | null;
  unread_count: number;
  last_activity_at: string;
  created_at: string;
}

export interface MessageBody {
  id: string;
  seq: number;
  sender: string;
  body: string;
  client_id: string;
  created_at: string;
}

export type Frame = { type: string } & Record<string, unknown>;

export async function startConversation(
  creator: TestUser,
  others: TestUser[],
  extra: Record<string, unknown> = {},
): Promise<ConversationBody> {
  const res = await api("POST", "/v1/conversations", {
    token: creator.accessToken,
    body: { usernames: others.map((u) => u.username), ...extra },
  });
  expect([200, 201], await res.clone().text()).toContain(res.status);
  return (await res.json()) as ConversationBody;
}

export async function ticketFor(user: TestUser, scope: string): Promise<string> {
  const res = await api("POST", "/v1/realtime/tickets", { token: user.accessToken, body: { scope } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { ticket: string }).ticket;
}

export async function sendHttp(user: TestUser, conversationId: string, body: string, clientId?: string) {
  return api("POST", `/v1/conversations/${conversationId}/messages`, {
    token: user.accessToken,
    body: { body, client_id: clientId ?? crypto.randomUUID() },
  });
}

export async function history(user: TestUser, conversationId: string, query = ""): Promise<MessageBody[]> {
  const res = await api("GET", `/v1/conversations/${conversationId}/messages${query}`, { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: MessageBody[] }).items;
}

/** Asks the upgrade path for a socket; answers the raw response (a 101 carries `webSocket`). */
export function upgrade(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(`http://localhost${path}`, { headers: { upgrade: "websocket", ...headers } }),
  );
}

/** A client socket that records every frame and close, with waits that time out. */
export class TestSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (event) => {
      this.frames.push(JSON.parse(String(event.data)) as Frame);
      this.wake();
    });
    ws.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits until `predicate` holds over the frames so far; answers them. */
  async until(predicate: (frames: Frame[]) => boolean, what: string, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames;
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  messages(): MessageBody[] {
    return this.of("message").map((f) => f.message as MessageBody);
  }

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== null, "close", timeoutMs);
    return this.closed ?? { code: 0, reason: "" };
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // already closed
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Opens `user`'s socket on a conversation and waits for its `ready` frame. */
export async function joinRoom(user: TestUser, conversationId: string, since?: number): Promise<TestSocket> {
  const ticket = await ticketFor(user, `conversation:${conversationId}`);
  const query = since === undefined ? "" : `&since=${since}`;
  const res = await upgrade(`/v1/conversations/${conversationId}/ws?ticket=${ticket}${query}`);
  if (res.status !== 101 || !res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const socket = new TestSocket(res.webSocket);
  await socket.until((f) => f.some((x) => x.type === "ready"), "ready");
  return socket;
}

export async function joinHub(user: TestUser): Promise<TestSocket> {
  const ticket = await ticketFor(user, "user");
  const res = await upgrade(`/v1/realtime?ticket=${ticket}`);
  if (res.status !== 101 || !res.webSocket) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const socket = new TestSocket(res.webSocket);
  await socket.until((f) => f.some((x) => x.type === "ready"), "ready");
  return socket;
}

export const roomStub = (conversationId: string) => env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(conversationId));

/** Runs the room's pending inbox flush now instead of waiting for its alarm. */
export async function flushInbox(conversationId: string): Promise<boolean> {
  return runDurableObjectAlarm(roomStub(conversationId));
}

export async function inbox(user: TestUser, folder: "inbox" | "requests" = "inbox"): Promise<ConversationBody[]> {
  const res = await api("GET", `/v1/conversations?folder=${folder}`, { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: ConversationBody[] }).items;
}
