// The chat section of `npm run bench`: one group room (the ChatRoom Durable Object) per size in
// BENCH_CHAT_MEMBERS (default 10, 32 (the group cap), 100 and 250 members), every member on a WebSocket from Node's own
// WebSocket client.
// - Set-up: the group's creator signs up and creates the group through the API; the other members'
//   accounts and every member's socket ticket are written straight into D1 (users rows, and
//   `realtime_tickets` rows holding the SHA-256 of a random token, as issueTicket stores them), as
//   bench/live.mjs does: a signup hashes its password with PBKDF2 (~100 ms of CPU) and the ticket
//   route allows 60 a minute, neither on the room's path. A group over the API's cap is written into
//   D1 too (`created_via` says which). Every socket opens through the real upgrade route (ticket
//   consumed, membership checked in D1, the room's own check).
// - Capacity: SENDERS members (on the main thread) send in a closed loop, each with at most WINDOW
//   messages unacknowledged (a member's own message coming back through the broadcast is its
//   acknowledgement), for the run's duration. Figure: messages stored per second × members =
//   deliveries (frames the room sends) per second; the median of ROUNDS rounds.
// - Latency: one member sends at a fixed rate (40% of the capacity), every member (the sender's
//   own copy included) times each message from send to arrival; lost = expected − received after
//   GRACE_MS, and must be 0.
// - The receiving members live in worker threads (BENCH_CHAT_THREADS), so one thread does not take
//   20,000+ frames a second; every thread measures its CPU and event-loop delay, and workerd's CPU
//   is read from /proc for the same window, so a slow client or a busy machine is not blamed on the
//   room. A receiver reads each frame's seq and the body's send stamp with indexOf, not JSON.parse.
// The per-connection frame limit (10/s, docs/security.md D8) would cap the room long before the
// room itself, so the bench raises it through CHAT_FRAME_BURST / CHAT_FRAMES_PER_SECOND
// (bench/worker.mjs); the limit itself is covered by tests, not measured here.
import { createHash, randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { schedOf, schedstat, startThread as startBenchThread, threadCpu, userSystem, workerdPids } from "./proc.mjs";

export const SIZES = (process.env.BENCH_CHAT_MEMBERS ?? "10,32,100,250")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 3);
/** Members sending in the capacity run (the first ones, on the main thread). */
const SENDERS = 10;
const WINDOW = 8;
const THREADS = Number(process.env.BENCH_CHAT_THREADS ?? 2);
const GRACE_MS = 3000;
const JOIN_CONCURRENCY = 16;
/** The event-loop monitor's sampling interval (ms): its histogram counts it in, so it is taken off. */
const LOOP_RESOLUTION_MS = 5;
const loopMs = (ns) => round2(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));

const now = () => performance.timeOrigin + performance.now();
const round2 = (x) => (x === null || x === undefined ? null : Number(x.toFixed(2)));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---- one thread's members: receipt bookkeeping shared by the main thread and the workers ----

/**
 * Counts, per member, the message frames of the current phase (seq order is checked: a socket
 * delivers in order, so a seq not above the last one is a duplicate) and times each delivery whose
 * body carries a send stamp (`t<epoch ms>`).
 */
function receipts(count) {
  const state = {
    measuring: false,
    received: new Uint32Array(count),
    lastSeq: new Float64Array(count),
    minSeq: Number.POSITIVE_INFINITY,
    maxSeq: 0,
    duplicates: 0,
    errors: [],
    latencies: new Float64Array(1 << 16),
    timed: 0,
    lastAt: 0,
  };
  const reset = (timed) => {
    state.measuring = true;
    state.received.fill(0);
    state.minSeq = Number.POSITIVE_INFINITY;
    state.maxSeq = 0;
    state.duplicates = 0;
    state.errors = [];
    state.timed = 0;
    state.timing = timed;
    state.lastAt = 0;
  };
  /** One frame's text at member `i`; answers the seq of a message frame, else 0. */
  const onText = (i, text) => {
    if (!text.startsWith('{"type":"message"')) {
      if (state.measuring && text.startsWith('{"type":"error"')) state.errors.push(text);
      return 0;
    }
    const s = text.indexOf('"seq":') + 6;
    const seq = Number(text.slice(s, text.indexOf(",", s)));
    if (!state.measuring) return seq;
    const at = now();
    if (seq <= state.lastSeq[i]) {
      state.duplicates++;
      return seq;
    }
    state.lastSeq[i] = seq;
    state.received[i]++;
    if (seq < state.minSeq) state.minSeq = seq;
    if (seq > state.maxSeq) state.maxSeq = seq;
    state.lastAt = at;
    if (state.timing) {
      const b = text.indexOf('"body":"t');
      if (b > 0) {
        const sentAt = Number(text.slice(b + 9, text.indexOf('"', b + 9)));
        if (state.timed === state.latencies.length) {
          const grown = new Float64Array(state.latencies.length * 2);
          grown.set(state.latencies);
          state.latencies = grown;
        }
        state.latencies[state.timed++] = at - sentAt;
      }
    }
    return seq;
  };
  const report = () => {
    state.measuring = false;
    const latencies = state.latencies.slice(0, state.timed);
    return {
      received: Array.from(state.received),
      minSeq: state.minSeq,
      maxSeq: state.maxSeq,
      duplicates: state.duplicates,
      errors: state.errors.slice(0, 3),
      error_count: state.errors.length,
      lastAt: state.lastAt,
      latencies,
    };
  };
  return { reset, onText, report, state };
}

const socketUrl = (url, conversationId, ticket) =>
  `${url.replace(/^http/, "ws")}/v1/conversations/${conversationId}/ws?ticket=${encodeURIComponent(ticket)}`;

/** Opens one socket and waits for `ready`; `onText` gets every later frame's text. */
function join(url, conversationId, ticket, onText) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(url, conversationId, ticket));
    let ready = false;
    ws.addEventListener("message", (event) => {
      const text = String(event.data);
      if (ready) {
        onText(text);
        return;
      }
      if (text.startsWith('{"type":"ready"')) {
        ready = true;
        resolve(ws);
      }
    });
    ws.addEventListener("error", () => reject(new Error("socket error before ready")), { once: true });
    ws.addEventListener("close", (e) => {
      if (!ready) reject(new Error(`socket closed before ready: ${e.code} ${e.reason}`));
    });
  });
}

async function joinAll(url, conversationId, tickets, onText) {
  const sockets = new Array(tickets.length);
  let next = 0;
  const lane = async () => {
    while (next < tickets.length) {
      const i = next++;
      sockets[i] = await join(url, conversationId, tickets[i], (text) => onText(i, text));
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, tickets.length) }, lane));
  return sockets;
}

// ---- a receiving thread ----

async function memberThread({ url, conversationId, tickets }) {
  const book = receipts(tickets.length);
  const sockets = await joinAll(url, conversationId, tickets, book.onText);
  parentPort.postMessage({ type: "joined" });
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let cpu0 = 0;
  parentPort.on("message", (msg) => {
    if (msg.type === "measure") {
      book.reset(msg.timed);
      loop.reset();
      loop.enable();
      cpu0 = threadCpu();
      parentPort.postMessage({ type: "measuring" });
    } else if (msg.type === "count") {
      parentPort.postMessage({ type: "count", received: book.state.received.reduce((a, b) => a + b, 0) });
    } else if (msg.type === "report") {
      loop.disable();
      const r = book.report();
      parentPort.postMessage(
        {
          type: "report",
          ...r,
          cpu_s: threadCpu() - cpu0,
          loop_delay_p99_ms: loopMs(loop.percentile(99)),
          loop_delay_max_ms: loopMs(loop.max),
        },
        [r.latencies.buffer],
      );
    } else if (msg.type === "close") {
      for (const ws of sockets) ws.close(1000, "bench done");
      parentPort.close();
    }
  });
}

if (!isMainThread && workerData?.chatMembers) await memberThread(workerData.chatMembers);

const startThread = (data) => startBenchThread(new URL(import.meta.url), { chatMembers: data });

// ---- set-up ----

const memberId = (size, i) => `01JC${String(size).padStart(4, "0")}${String(i).padStart(18, "0")}`;

/**
 * A group of `size`: the creator through the API, the others' accounts in D1, the group through
 * the API when the cap allows it (else in D1), every member's ticket in D1; then every socket.
 */
export async function setUpRoom(db, json, url, size) {
  const stamp = Date.now().toString(36);
  const ownerName = `chat${size}_${stamp}_owner`;
  const owner = await json(url, "/v1/auth/signup", {
    username: ownerName,
    email: `${ownerName}@bench.test`,
    password: "bench password",
  });
  const at = new Date().toISOString();
  const others = Array.from({ length: size - 1 }, (_, i) => ({
    id: memberId(size, i),
    username: `chat${size}_${stamp}_${i}`,
  }));
  await db
    .prepare(
      `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[1]') || '@bench.test', 'x', ?2, ?2
       FROM json_each(?1)`,
    )
    .bind(JSON.stringify(others.map((v) => [v.id, v.username])), at)
    .run();
  let conversationId;
  let createdVia = "api";
  const res = await fetch(`${url}/v1/conversations`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${owner.access_token}` },
    body: JSON.stringify({ usernames: others.map((o) => o.username), title: `bench ${size}` }),
  });
  if (res.status === 201) {
    conversationId = (await res.json()).id;
  } else if (res.status === 422) {
    // Over the API's group cap: the same rows insertConversation writes.
    await res.arrayBuffer();
    createdVia = "d1 (over the API's group cap)";
    conversationId = `01JCC${String(size).padStart(4, "0")}${stamp.padStart(17, "0")}`;
    await db
      .prepare("INSERT INTO conversations (id, kind, title, created_by, created_at) VALUES (?1, 'group', ?2, ?3, ?4)")
      .bind(conversationId, `bench ${size}`, owner.user.id, at)
      .run();
    await db
      .prepare(
        `INSERT INTO conversation_members (conversation_id, user_id, folder, activity_id, joined_at)
         SELECT ?1, value, 'inbox', ?1, ?2 FROM json_each(?3)`,
      )
      .bind(conversationId, at, JSON.stringify([owner.user.id, ...others.map((o) => o.id)]))
      .run();
  } else {
    throw new Error(`create group of ${size}: ${res.status} ${await res.text()}`);
  }
  const scope = `conversation:${conversationId}`;
  const expires = new Date(Date.now() + 600_000).toISOString();
  const ids = [owner.user.id, ...others.map((o) => o.id)];
  const tickets = ids.map(() => randomBytes(32).toString("base64url"));
  await db
    .prepare(
      `INSERT INTO realtime_tickets (token_hash, user_id, scope, expires_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2, ?3 FROM json_each(?1)`,
    )
    .bind(JSON.stringify(tickets.map((t, i) => [createHash("sha256").update(t).digest("hex"), ids[i]])), scope, expires)
    .run();
  return { conversationId, createdVia, ids, tickets };
}

/** Joins every member: the senders on this thread, the rest spread over THREADS workers. */
export async function joinRoom(url, setup) {
  const senders = Math.min(SENDERS, setup.tickets.length);
  const book = receipts(senders);
  const acks = new Array(senders).fill(null);
  const started = now();
  const main = await joinAll(url, setup.conversationId, setup.tickets.slice(0, senders), (i, text) => {
    const seq = book.onText(i, text);
    if (seq > 0 && acks[i] && text.includes(`"sender":"${setup.ids[i]}"`)) acks[i](seq);
  });
  const rest = setup.tickets.slice(senders);
  const threads = Math.min(THREADS, rest.length);
  const share = Math.ceil(rest.length / Math.max(1, threads));
  const workers = [];
  for (let t = 0; t < threads; t++) {
    workers.push(
      startThread({ url, conversationId: setup.conversationId, tickets: rest.slice(t * share, (t + 1) * share) }),
    );
  }
  await Promise.all(workers.map((w) => w.next("joined")));
  return {
    size: setup.tickets.length,
    senders: main,
    book,
    acks,
    workers,
    join_s: round2((now() - started) / 1000),
    close: async () => {
      for (const ws of main) ws.close(1000, "bench done");
      for (const w of workers) w.worker.postMessage({ type: "close" });
      await Promise.all(workers.map((w) => new Promise((r) => w.worker.once("exit", r))));
    },
  };
}

// ---- a measured phase ----

const totalOf = (list) => list.reduce((a, b) => a + b, 0);

/**
 * Runs `drive` (which answers `{ stored }`, the messages the room stored) with every member
 * counting, then waits until every member has every stored message or GRACE_MS has passed.
 * Answers the receipts and what the clients and workerd spent meanwhile.
 */
async function measured(room, timed, drive) {
  room.book.reset(timed);
  await Promise.all(room.workers.map((w) => w.ask({ type: "measure", timed }, "measuring")));
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const mainCpu0 = threadCpu();
  const processCpu0 = process.cpuUsage();
  const workerd = workerdPids();
  const workerd0 = schedOf(workerd);
  const split0 = userSystem(workerd);
  const node0 = schedstat("self");
  const t0 = now();
  const driven = await drive();
  const sendSeconds = (now() - t0) / 1000;
  const deadline = now() + GRACE_MS;
  for (;;) {
    const counts = await Promise.all(room.workers.map((w) => w.ask({ type: "count" }, "count")));
    const total = totalOf(room.book.state.received) + totalOf(counts.map((c) => c.received));
    if (total >= driven.stored * room.size || now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const main = room.book.report();
  const reports = await Promise.all(room.workers.map((w) => w.ask({ type: "report" }, "report")));
  loop.disable();
  const windowSeconds = (now() - t0) / 1000;
  const workerd1 = schedOf(workerd);
  const split1 = userSystem(workerd);
  const node1 = schedstat("self");
  const processCpu = process.cpuUsage(processCpu0);
  const mainCpu = threadCpu() - mainCpu0;
  const all = [main, ...reports];
  const received = totalOf(all.map((r) => totalOf(r.received)));
  const expected = driven.stored * room.size;
  // Members missing something (each should have every stored message once).
  const short = totalOf(all.map((r) => r.received.filter((n) => n < driven.stored).length));
  const lastAt = Math.max(...all.map((r) => r.lastAt));
  return {
    ...driven,
    send_seconds: round2(sendSeconds),
    expected_deliveries: expected,
    deliveries: received,
    lost: expected - received,
    members_missing_some: short,
    duplicates: totalOf(all.map((r) => r.duplicates)),
    frame_errors: totalOf(all.map((r) => r.error_count)),
    first_errors: all.flatMap((r) => r.errors).slice(0, 3),
    last_delivery_after_s: round2((lastAt - t0) / 1000),
    latencies: all.map((r) => r.latencies),
    cpu_cores: {
      window_s: round2(windowSeconds),
      node_process: Number(((processCpu.user + processCpu.system) / 1e6 / windowSeconds).toFixed(3)),
      node_main_thread: Number((mainCpu / windowSeconds).toFixed(3)),
      node_member_threads: reports.map((r) => Number((r.cpu_s / windowSeconds).toFixed(3))),
      workerd: workerd0 && workerd1 ? Number(((workerd1.run - workerd0.run) / windowSeconds).toFixed(3)) : null,
      // Of workerd's CPU, the kernel's (loopback TCP for every frame sent, SQLite's disk syncs).
      workerd_system: split0 && split1 ? Number(((split1.system - split0.system) / windowSeconds).toFixed(3)) : null,
      waiting_workerd:
        workerd0 && workerd1 ? Number(((workerd1.wait - workerd0.wait) / windowSeconds).toFixed(3)) : null,
      waiting_node: node0 && node1 ? Number(((node1.wait - node0.wait) / windowSeconds).toFixed(3)) : null,
    },
    workerd_cpu_us_per_delivery:
      workerd0 && workerd1 && received > 0 ? round2(((workerd1.run - workerd0.run) * 1e6) / received) : null,
    client_event_loop_delay_ms: {
      main_p99: loopMs(loop.percentile(99)),
      main_max: loopMs(loop.max),
      member_threads_p99: reports.map((r) => r.loop_delay_p99_ms),
      member_threads_max: reports.map((r) => r.loop_delay_max_ms),
    },
  };
}

let counter = 0;
const frame = (sentAt) =>
  JSON.stringify({ type: "message", body: `t${sentAt.toFixed(3)}`, client_id: `b${process.pid}-${counter++}` });

/** The senders, each with at most WINDOW messages unacknowledged, for `seconds`. */
function closedLoop(room, seconds) {
  return new Promise((resolve) => {
    let stored = 0;
    let running = room.senders.length;
    const deadline = now() + seconds * 1000;
    const started = now();
    room.senders.forEach((ws, i) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < WINDOW && now() < deadline) {
          inFlight++;
          ws.send(frame(now()));
        }
        if (inFlight === 0) {
          room.acks[i] = null;
          if (--running === 0) resolve({ stored, messages_per_s: stored / ((now() - started) / 1000) });
        }
      };
      room.acks[i] = () => {
        inFlight--;
        stored++;
        pump();
      };
      pump();
    });
  });
}

/** One member sends `rate` messages a second for `seconds`; answers what the room stored. */
async function fixedRate(room, rate, seconds) {
  const planned = Math.max(1, Math.round(rate * seconds));
  let stored = 0;
  room.acks[0] = () => {
    stored++;
  };
  const interval = 1000 / rate;
  const start = now();
  let sendLag = 0;
  for (let i = 0; i < planned; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = now();
    sendLag = Math.max(sendLag, sentAt - due);
    room.senders[0].send(frame(sentAt));
  }
  // The sender's own copies, so `stored` is final before the receipts are compared with it.
  const until = now() + GRACE_MS;
  while (stored < planned && now() < until) await new Promise((r) => setTimeout(r, 10));
  room.acks[0] = null;
  return { planned, stored, worst_send_lag_ms: round2(sendLag) };
}

const withoutLatencies = ({ latencies, ...rest }) => rest;

/** Capacity (median of `rounds`) and latency at 40% of it, for one room of `size`. */
export async function benchRoom(db, json, url, size, { seconds, rounds }) {
  const setup = await setUpRoom(db, json, url, size);
  const room = await joinRoom(url, setup);
  try {
    const capacityRounds = [];
    for (let r = 0; r < rounds; r++) capacityRounds.push(await measured(room, false, () => closedLoop(room, seconds)));
    const byRate = [...capacityRounds].sort((a, b) => a.messages_per_s - b.messages_per_s);
    const median = byRate[Math.floor(byRate.length / 2)];
    const messagesPerSecond = Math.round(median.messages_per_s);
    const rate = Math.max(1, Math.round(messagesPerSecond * 0.4));
    const latency = await measured(room, true, () => fixedRate(room, rate, seconds));
    const all = new Float64Array(latency.latencies.reduce((n, l) => n + l.length, 0));
    let offset = 0;
    for (const l of latency.latencies) {
      all.set(l, offset);
      offset += l.length;
    }
    all.sort();
    let over50 = 0;
    for (const x of all) if (x > 50) over50++;
    return {
      members: size,
      created_via: setup.createdVia,
      join_s: room.join_s,
      member_threads: room.workers.length,
      capacity: {
        senders: room.senders.length,
        window_per_sender: WINDOW,
        messages_per_s: messagesPerSecond,
        deliveries_per_s: messagesPerSecond * size,
        rounds_messages_per_s: capacityRounds.map((c) => Math.round(c.messages_per_s)),
        median_round: withoutLatencies(median),
      },
      fixed_rate: {
        rate_messages_per_s: rate,
        rate_deliveries_per_s: rate * size,
        ...withoutLatencies(latency),
        latency_ms: {
          p50: round2(percentile(all, 50)),
          p99: round2(percentile(all, 99)),
          max: round2(all.length ? all[all.length - 1] : null),
          over_50: over50,
        },
      },
      machine_load_average_1m: Number(loadavg()[0].toFixed(2)),
    };
  } finally {
    await room.close();
  }
}

/** Read off chat-room.ts and room-store.ts, per message a socket sends to a room of N members. */
export const CHAT_PER_MESSAGE = {
  // isMember, isClosed, the resend check, the insert, the sender's read position, the inbox
  // version (read and write); the member ids and the conversation id are kept in memory.
  room_sqlite_statements: 7,
  socket_sends: "N, one JSON string serialised once",
  hub_rpcs: "one publishMany per member per window of max(20 ms, 2 ms × N), 10 calls a turn",
  d1_writes: "0 (the inbox flush: one batch per CHAT_INBOX_FLUSH_MS per room)",
};
