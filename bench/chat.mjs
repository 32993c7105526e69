// Chat benchmark: one room with 10 members, each holding a WebSocket (Node's own WebSocket client).
// - capacity: every member sends in a closed loop (at most WINDOW frames unacknowledged each; a
//   member's own message coming back through the broadcast is its acknowledgement) for the run's
//   duration; figure = messages stored and broadcast per second (each is 10 frames out).
// - latency: one member sends at a fixed rate (40% of capacity); the other nine time each message
//   from send to arrival; p50/p99 over all arrivals.
// The per-connection frame limit (10/s, SECURITY D8) would cap the room long before the room
// itself, so the bench raises it through CHAT_FRAME_BURST / CHAT_FRAMES_PER_SECOND; the limit
// itself is covered by tests, not measured here.

const MEMBERS = 10;
const WINDOW = 8;

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function member(json, url, conversationId, user) {
  const { ticket } = await json(url, "/v1/realtime/tickets", { scope: `conversation:${conversationId}` }, user.token);
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/conversations/${conversationId}/ws?ticket=${ticket}`);
  const listeners = new Set();
  ws.addEventListener("message", (event) => {
    const frame = JSON.parse(String(event.data));
    for (const listener of listeners) listener(frame);
  });
  await new Promise((resolve, reject) => {
    const ready = (frame) => {
      if (frame.type === "ready") {
        listeners.delete(ready);
        resolve();
      }
    };
    listeners.add(ready);
    ws.addEventListener("error", reject, { once: true });
  });
  return { ...user, ws, listeners };
}

export async function setUpRoom(json, url) {
  const users = [];
  const stamp = Date.now().toString(36);
  for (let i = 0; i < MEMBERS; i++) {
    const username = `chat_${stamp}_${i}`;
    const session = await json(url, "/v1/auth/signup", {
      username,
      email: `${username}@example.com`,
      password: "bench password",
    });
    users.push({ id: session.user.id, username, token: session.access_token });
  }
  const [owner, ...rest] = users;
  const convo = await json(url, "/v1/conversations", { usernames: rest.map((u) => u.username) }, owner.token);
  const members = [];
  for (const user of users) members.push(await member(json, url, convo.id, user));
  return { conversationId: convo.id, members };
}

let counter = 0;

/** Every member sends with up to WINDOW messages in flight; answers messages stored per second. */
export async function capacity(members, seconds) {
  let stored = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    members.map(
      (m) =>
        new Promise((resolve) => {
          let inFlight = 0;
          const mine = new Set();
          const pump = () => {
            while (inFlight < WINDOW && Date.now() < deadline) {
              const clientId = `cap-${counter++}`;
              mine.add(clientId);
              inFlight++;
              m.ws.send(JSON.stringify({ type: "message", body: "benchmark message body", client_id: clientId }));
            }
            if (inFlight === 0) {
              m.listeners.delete(onFrame);
              resolve();
            }
          };
          const onFrame = (frame) => {
            if (frame.type === "error") throw new Error(`room refused a frame: ${JSON.stringify(frame)}`);
            if (frame.type === "message" && mine.delete(frame.message.client_id)) {
              inFlight--;
              stored++;
              pump();
            }
          };
          m.listeners.add(onFrame);
          pump();
        }),
    ),
  );
  return stored / ((performance.now() - started) / 1000);
}

/** One member sends at `rate` per second; the others time each arrival. */
export async function deliveryLatency(members, rate, seconds) {
  const [sender, ...receivers] = members;
  const sentAt = new Map();
  const samples = [];
  const onFrame = (frame) => {
    if (frame.type !== "message") return;
    const t0 = sentAt.get(frame.message.client_id);
    if (t0 !== undefined) samples.push(performance.now() - t0);
  };
  for (const r of receivers) r.listeners.add(onFrame);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const clientId = `lat-${counter++}`;
    sentAt.set(clientId, performance.now());
    sender.ws.send(JSON.stringify({ type: "message", body: "latency probe", client_id: clientId }));
  }
  const expected = total * receivers.length;
  const until = Date.now() + 5000;
  while (samples.length < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const r of receivers) r.listeners.delete(onFrame);
  const sorted = samples.sort((a, b) => a - b);
  return {
    rate_msgs_per_s: rate,
    deliveries: samples.length,
    lost: expected - samples.length,
    p50_ms: Number(percentile(sorted, 50)?.toFixed(2)),
    p99_ms: Number(percentile(sorted, 99)?.toFixed(2)),
  };
}

export function closeAll(members) {
  for (const m of members) m.ws.close(1000, "bench done");
}
