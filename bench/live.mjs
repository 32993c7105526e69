// The live section of `npm run bench`: one live session's room (LiveRoom) with 1,000 viewers and
// 50 commenters, each on a WebSocket from Node (the global WebSocket client), the comments sent at
// a fixed total rate for the run's duration.
// - Set-up: the host and the 50 commenters sign up, and the commenters take their tickets, through
//   the API. The 1,000 viewer accounts and their tickets are written straight into D1 (users rows
//   and `realtime_tickets` rows: the SHA-256 of a random token, as issueTicket stores them): a
//   signup hashes its password with PBKDF2 (~100 ms of CPU), and the ticket route allows a user 60 a
//   minute; neither is on the room's path. The sockets then open through the real upgrade route
//   (ticket consumed in D1, session policy, the room's join).
// - Viewers live in worker threads (BENCH_LIVE_THREADS), so a busy client thread does not delay the
//   commenters' sends; every thread measures its own CPU and event-loop delay, so a slow client is
//   not blamed on the room, and workerd's CPU is read from /proc for the same window.
// - Each comment's body carries its index and its send time (epoch ms, sub-ms); every viewer records
//   each comment's receipt, and the figure is send → receipt over all deliveries (the room's
//   LIVE_BATCH_MS window included). A delivery missing GRACE_MS after the last send is lost.
import { createHash, randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { schedOf, schedstat, startThread as startBenchThread, workerdPids } from "./proc.mjs";

export const VIEWERS = Number(process.env.BENCH_LIVE_VIEWERS ?? 1000);
export const COMMENTERS = Number(process.env.BENCH_LIVE_COMMENTERS ?? 50);
export const RATE = Number(process.env.BENCH_LIVE_RATE ?? 100);
const THREADS = Number(process.env.BENCH_LIVE_THREADS ?? 2);
const GRACE_MS = 3000;
/** Sockets a thread opens at once while joining. */
const JOIN_CONCURRENCY = 16;

const now = () => performance.timeOrigin + performance.now();

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round2 = (x) => (x === null ? null : Number(x.toFixed(2)));

/** p50 and p99 of a list of ms figures. */
function spread(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return { p50: round2(percentile(sorted, 50)), p99: round2(percentile(sorted, 99)) };
}

/** CPU seconds (user + system) of a thread, or of the process where threads cannot tell. */
function threadCpu() {
  const u = typeof process.threadCpuUsage === "function" ? process.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// ---- set-up ----

const viewerId = (i) => `01JL${String(i).padStart(22, "0")}`;

/** The host's session, live; commenters (API accounts, API tickets); viewers' tickets from D1. */
export async function setUpLive(db, json, url) {
  const stamp = Date.now().toString(36);
  const signUp = (name) =>
    json(url, "/v1/auth/signup", { username: name, email: `${name}@bench.test`, password: "bench password" });
  const host = await signUp(`live_host_${stamp}`);
  const session = await json(url, "/v1/live", {}, host.access_token);
  await json(url, `/v1/live/${session.id}/start`, {}, host.access_token);
  const scope = `live:${session.id}`;

  const commenters = [];
  for (let i = 0; i < COMMENTERS; i++) {
    const user = await signUp(`live_c${i}_${stamp}`);
    commenters.push(user);
  }
  const commenterTickets = [];
  for (const user of commenters)
    commenterTickets.push((await json(url, "/v1/realtime/tickets", { scope }, user.access_token)).ticket);

  const at = new Date().toISOString();
  // Joining 1,000 sockets takes a while: the tickets get ten minutes instead of issueTicket's one.
  const expires = new Date(Date.now() + 600_000).toISOString();
  const viewers = Array.from({ length: VIEWERS }, (_, i) => ({
    id: viewerId(i),
    username: `live_v${i}_${stamp}`,
    ticket: randomBytes(32).toString("base64url"),
  }));
  for (let i = 0; i < viewers.length; i += 500) {
    const rows = viewers.slice(i, i + 500);
    await db
      .prepare(
        `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[1]') || '@bench.test', 'x', ?2, ?2
         FROM json_each(?1)`,
      )
      .bind(JSON.stringify(rows.map((v) => [v.id, v.username])), at)
      .run();
    await db
      .prepare(
        `INSERT INTO realtime_tickets (token_hash, user_id, scope, expires_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2, ?3 FROM json_each(?1)`,
      )
      .bind(
        JSON.stringify(rows.map((v) => [createHash("sha256").update(v.ticket).digest("hex"), v.id])),
        scope,
        expires,
      )
      .run();
  }
  return {
    sessionId: session.id,
    hostToken: host.access_token,
    commenterTickets,
    viewerTickets: viewers.map((v) => v.ticket),
  };
}

// ---- sockets ----

const socketUrl = (url, sessionId, ticket) =>
  `${url.replace(/^http/, "ws")}/v1/live/${sessionId}/ws?ticket=${encodeURIComponent(ticket)}`;

/** Opens one socket and waits for `ready`; `onFrame` gets every later frame's text. */
function join(url, sessionId, ticket, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(url, sessionId, ticket));
    let ready = false;
    ws.addEventListener("message", (event) => {
      if (ready) {
        onFrame(event.data, ws);
        return;
      }
      const frame = JSON.parse(String(event.data));
      if (frame.type === "ready") {
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

async function joinAll(url, sessionId, tickets, onFrame) {
  const sockets = new Array(tickets.length);
  let next = 0;
  const lane = async () => {
    while (next < tickets.length) {
      const i = next++;
      sockets[i] = await join(url, sessionId, tickets[i], (data, ws) => onFrame(i, data, ws));
    }
  };
  await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, tickets.length) }, lane));
  return sockets;
}

// ---- a viewer thread ----

/** Runs in a worker thread: holds its viewers' sockets and records each comment's receipt. */
async function viewerThread({ url, sessionId, tickets, planned }) {
  const seen = tickets.map(() => new Uint8Array(planned));
  // Per comment, this thread's first and last receipt (epoch ms): the broadcast's spread.
  const first = new Float64Array(planned).fill(Number.POSITIVE_INFINITY);
  const last = new Float64Array(planned);
  let latencies = new Float64Array(1 << 16);
  let deliveries = 0;
  let duplicates = 0;
  let unknown = 0;
  const frames = { comment: 0, other: 0 };
  let measuring = false;
  const onFrame = (viewer, data) => {
    if (!measuring) return;
    const at = now();
    const text = String(data);
    // Only comment frames are parsed in full; the rest (viewer_count, reactions) are counted.
    if (!text.startsWith('{"type":"comment"')) {
      frames.other++;
      return;
    }
    frames.comment++;
    const frame = JSON.parse(text);
    const mine = seen[viewer];
    for (const c of frame.comments) {
      const space = c.body.indexOf(" ");
      const index = Number(c.body.slice(0, space));
      const sentAt = Number(c.body.slice(space + 1));
      if (!Number.isInteger(index) || index < 0 || index >= planned) {
        unknown++;
        continue;
      }
      if (mine[index]) {
        duplicates++;
        continue;
      }
      mine[index] = 1;
      if (at < first[index]) first[index] = at;
      if (at > last[index]) last[index] = at;
      if (deliveries === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[deliveries++] = at - sentAt;
    }
  };
  const started = now();
  const sockets = await joinAll(url, sessionId, tickets, onFrame);
  parentPort.postMessage({ type: "joined", sockets: sockets.length, ms: now() - started });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let cpu0 = 0;
  parentPort.on("message", (msg) => {
    if (msg.type === "measure") {
      measuring = true;
      cpu0 = threadCpu();
      loop.enable();
    } else if (msg.type === "report") {
      measuring = false;
      loop.disable();
      const perComment = new Uint32Array(planned);
      for (const mine of seen) for (let i = 0; i < planned; i++) perComment[i] += mine[i];
      const out = latencies.slice(0, deliveries);
      parentPort.postMessage(
        {
          type: "report",
          deliveries,
          duplicates,
          unknown,
          frames,
          perComment,
          first,
          last,
          latencies: out,
          cpu_s: threadCpu() - cpu0,
          loop_delay_p99_ms: loop.percentile(99) / 1e6,
          loop_delay_max_ms: loop.max / 1e6,
        },
        [out.buffer, perComment.buffer, first.buffer, last.buffer],
      );
    } else if (msg.type === "close") {
      for (const ws of sockets) ws.close(1000, "bench done");
      parentPort.close();
    }
  });
}

if (!isMainThread && workerData?.liveViewers) await viewerThread(workerData.liveViewers);

const startThread = (data) => startBenchThread(new URL(import.meta.url), { liveViewers: data });

// ---- the run ----

/**
 * The room at RATE comments/s from COMMENTERS sockets for `seconds`, VIEWERS sockets receiving.
 * Answers the delivery figures, the clients' and workerd's CPU, and the join time.
 */
export async function liveRun(url, setup, seconds) {
  const planned = Math.round(RATE * seconds);
  const threads = Math.max(1, Math.min(THREADS, setup.viewerTickets.length));
  const share = Math.ceil(setup.viewerTickets.length / threads);
  const joinStarted = now();
  const workers = [];
  for (let t = 0; t < threads; t++) {
    const tickets = setup.viewerTickets.slice(t * share, (t + 1) * share);
    workers.push(startThread({ url, sessionId: setup.sessionId, tickets, planned }));
  }
  // Commenters join on this thread; they see every comment too, which tells what the room stored.
  const stored = new Uint8Array(planned);
  const toRoom = [];
  const stampedAt = new Float64Array(planned);
  const errors = [];
  let measuring = false;
  const commenters = await joinAll(url, setup.sessionId, setup.commenterTickets, (_i, data) => {
    if (!measuring) return;
    const text = String(data);
    if (text.startsWith('{"type":"error"')) errors.push(JSON.parse(text));
    else if (text.startsWith('{"type":"comment"'))
      for (const c of JSON.parse(text).comments) {
        const space = c.body.indexOf(" ");
        const index = Number(c.body.slice(0, space));
        if (index >= 0 && index < planned && !stored[index]) {
          stored[index] = 1;
          // The room stamps created_at when the frame reaches it (ms; the same machine clock).
          stampedAt[index] = Date.parse(c.created_at);
          toRoom.push(stampedAt[index] - Number(c.body.slice(space + 1)));
        }
      }
  });
  const joined = await Promise.all(workers.map((w) => w.next("joined")));
  // What the client and workerd agreed on (permessage-deflate compresses every frame on both ends).
  const extensions = commenters[0]?.extensions ?? "";
  const joinMs = now() - joinStarted;
  // Let the joins' viewer_count broadcast (at most every 2 s) go out before measuring.
  await new Promise((r) => setTimeout(r, 2500));

  for (const w of workers) w.worker.postMessage({ type: "measure" });
  measuring = true;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const mainCpu0 = threadCpu();
  const processCpu0 = process.cpuUsage();
  const workerd = workerdPids();
  const workerd0 = schedOf(workerd);
  const node0 = schedstat("self");
  const interval = 1000 / RATE;
  const start = now();
  let sendLag = 0;
  for (let i = 0; i < planned; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const sentAt = now();
    sendLag = Math.max(sendLag, sentAt - due);
    commenters[i % commenters.length].send(
      JSON.stringify({ type: "comment", body: `${i} ${sentAt.toFixed(3)}`, client_id: `live-${i}` }),
    );
  }
  const sendSeconds = (now() - start) / 1000;
  await new Promise((r) => setTimeout(r, GRACE_MS));
  const workerd1 = schedOf(workerd);
  const node1 = schedstat("self");
  const processCpu = process.cpuUsage(processCpu0);
  const mainCpu = threadCpu() - mainCpu0;
  loop.disable();
  measuring = false;
  const reports = await Promise.all(
    workers.map((w) => {
      const report = w.next("report");
      w.worker.postMessage({ type: "report" });
      return report;
    }),
  );
  const windowSeconds = sendSeconds + GRACE_MS / 1000;

  let deliveries = 0;
  let duplicates = 0;
  let commentFrames = 0;
  let otherFrames = 0;
  const perComment = new Uint32Array(planned);
  const first = new Float64Array(planned).fill(Number.POSITIVE_INFINITY);
  const last = new Float64Array(planned);
  const all = new Float64Array(reports.reduce((n, r) => n + r.deliveries, 0));
  let offset = 0;
  for (const r of reports) {
    deliveries += r.deliveries;
    duplicates += r.duplicates;
    commentFrames += r.frames.comment;
    otherFrames += r.frames.other;
    for (let i = 0; i < planned; i++) {
      perComment[i] += r.perComment[i];
      first[i] = Math.min(first[i], r.first[i]);
      last[i] = Math.max(last[i], r.last[i]);
    }
    all.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  all.sort();
  const viewers = setup.viewerTickets.length;
  const expected = planned * viewers;
  let incomplete = 0;
  for (let i = 0; i < planned; i++) if (perComment[i] < viewers) incomplete++;
  let over300 = 0;
  for (const x of all) if (x > 300) over300++;
  return {
    viewers,
    commenters: commenters.length,
    viewer_threads: threads,
    join: {
      sockets: viewers + commenters.length,
      seconds: Number((joinMs / 1000).toFixed(2)),
      per_thread_s: joined.map((j) => Number((j.ms / 1000).toFixed(2))),
    },
    websocket_extensions: extensions || "none",
    rate_per_s: RATE,
    send_seconds: Number(sendSeconds.toFixed(2)),
    comments_sent: planned,
    comments_stored: stored.reduce((n, x) => n + x, 0),
    frame_errors: errors.length,
    first_errors: errors.slice(0, 3),
    expected_deliveries: expected,
    deliveries,
    deliveries_per_s: Math.round(deliveries / sendSeconds),
    lost: expected - deliveries,
    comments_missing_somewhere: incomplete,
    duplicates,
    latency_ms: {
      p50: round2(percentile(all, 50)),
      p99: round2(percentile(all, 99)),
      max: round2(all.length ? all[all.length - 1] : null),
      over_300: over300,
    },
    // Per comment, the path in three legs (ms; the room's created_at stamp has ms resolution and
    // is taken when the room starts handling the frame): send → the room; the room → the first
    // viewer's receipt (the batch window, the flush, the way out); first → last viewer's receipt.
    legs_ms: {
      send_to_room: spread(toRoom),
      room_to_first_viewer: spread(
        Array.from(first, (t, i) => t - stampedAt[i]).filter((x, i) => Number.isFinite(x) && stampedAt[i] > 0),
      ),
      first_to_last_viewer: spread(
        Array.from(last, (t, i) => t - first[i]).filter((x, i) => Number.isFinite(x) && perComment[i] > 0),
      ),
    },
    frames_per_viewer_per_s: {
      comment: Number((commentFrames / viewers / sendSeconds).toFixed(2)),
      all: Number(((commentFrames + otherFrames) / viewers / sendSeconds).toFixed(2)),
      comments_per_comment_frame: Number((deliveries / Math.max(1, commentFrames)).toFixed(2)),
    },
    // Over the send time plus the grace period: a core is 1.0. `waiting_*` is run-queue wait
    // (ready to run, another process on the core), from /proc schedstat.
    cpu_cores: {
      window_s: Number(windowSeconds.toFixed(2)),
      node_process: Number(((processCpu.user + processCpu.system) / 1e6 / windowSeconds).toFixed(3)),
      node_main_thread: Number((mainCpu / windowSeconds).toFixed(3)),
      node_viewer_threads: reports.map((r) => Number((r.cpu_s / windowSeconds).toFixed(3))),
      workerd: workerd0 && workerd1 ? Number(((workerd1.run - workerd0.run) / windowSeconds).toFixed(3)) : null,
      waiting_workerd:
        workerd0 && workerd1 ? Number(((workerd1.wait - workerd0.wait) / windowSeconds).toFixed(3)) : null,
      waiting_node: node0 && node1 ? Number(((node1.wait - node0.wait) / windowSeconds).toFixed(3)) : null,
      machine_load_average_1m: Number(loadavg()[0].toFixed(2)),
    },
    client_event_loop_delay_ms: {
      main_p99: round2(loop.percentile(99) / 1e6),
      main_max: round2(loop.max / 1e6),
      viewer_threads_p99: reports.map((r) => round2(r.loop_delay_p99_ms)),
      viewer_threads_max: reports.map((r) => round2(r.loop_delay_max_ms)),
      worst_send_lag_ms: round2(sendLag),
    },
    close: async () => {
      for (const ws of commenters) ws.close(1000, "bench done");
      for (const w of workers) w.worker.postMessage({ type: "close" });
      await Promise.all(workers.map((w) => new Promise((r) => w.worker.once("exit", r))));
    },
  };
}
