import { describe, expect, inject, it } from "vitest";
import { rawRequest } from "./raw-http";

// Chat over the real network: Node's own WebSocket client against `wrangler dev`, so the upgrade
// crosses a real HTTP/1.1 handshake and wrangler's proxy, as a client app's would.
const baseUrl = inject("baseUrl");

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `10.78.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function signup(prefix: string) {
  const username = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const created = await post("/v1/auth/signup", {
    username,
    email: `${username}@example.com`,
    password: "correct horse",
  });
  expect(created.status).toBe(202);
  // Sign-up answers 202 "check your email" without a session (README "Accounts"): sign in.
  const res = await post("/v1/auth/login", { login: username, password: "correct horse" });
  expect(res.status).toBe(200);
  return { username, token: String(res.body.access_token), id: String((res.body.user as { id: string }).id) };
}

type Frame = { type: string; message?: { body: string; sender: string } };

async function open(path: string): Promise<{ ws: WebSocket; frames: Frame[] }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}${path}`);
  const frames: Frame[] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data)) as Frame));
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  return { ws, frames };
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("chat through wrangler dev", () => {
  it("two people exchange messages over real WebSockets, and a replayed ticket is refused", async () => {
    const [ana, ben] = [await signup("wsana"), await signup("wsben")];
    const convo = await post("/v1/conversations", { usernames: [ben.username] }, ana.token);
    expect(convo.status).toBe(201);
    const id = String(convo.body.id);
    const ticketA = String(
      (await post("/v1/realtime/tickets", { scope: `conversation:${id}` }, ana.token)).body.ticket,
    );
    const ticketB = String(
      (await post("/v1/realtime/tickets", { scope: `conversation:${id}` }, ben.token)).body.ticket,
    );
    const a = await open(`/v1/conversations/${id}/ws?ticket=${ticketA}`);
    const b = await open(`/v1/conversations/${id}/ws?ticket=${ticketB}`);
    await until(() => a.frames.some((f) => f.type === "ready") && b.frames.some((f) => f.type === "ready"), "ready");

    a.ws.send(JSON.stringify({ type: "message", body: "over the wire", client_id: "w1" }));
    await until(() => b.frames.some((f) => f.type === "message"), "delivery");
    expect(b.frames.find((f) => f.type === "message")?.message).toMatchObject({
      body: "over the wire",
      sender: ana.id,
    });

    const { host } = new URL(baseUrl);
    const replay = await rawRequest(
      baseUrl,
      `${[
        `GET /v1/conversations/${id}/ws?ticket=${ticketA} HTTP/1.1`,
        `Host: ${host}`,
        "Upgrade: websocket",
        "Connection: Upgrade, close",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      ].join("\r\n")}\r\n\r\n`,
    );
    expect(replay.status).toBe(401);
    a.ws.close();
    b.ws.close();
  });
});
