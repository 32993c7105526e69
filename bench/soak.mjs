// `npm run soak` (issue 21, item 7): a mixed workload straight into workerd (the bench entry through
// the Miniflare API, bench/worker.mjs) at a fixed rate for SOAK_SECONDS, then a reconciliation
// against D1 and the API. It fails (exit 1) on any 5xx, any request that got no answer, or anything
// lost: a chat message acknowledged but not stored or not delivered to a member's open socket, a
// like/comment/follow/mention/live start without its notification, a post missing from a
// follower's GET /v1/feed, an acknowledged write missing from D1. It reports the workerd process's
// memory (VmRSS) after the warm-up, every few seconds and at the end, and p50/p99 per request kind.
//
// Open loop: a scheduler starts one operation every 1/SOAK_RATE s at its planned time, whatever is
// still in flight (a closed loop would slow down with the server and hide a backlog); the kind of
// each operation is drawn from MIX with a seeded PRNG. Traffic goes to 127.0.0.1 only (the direct
// socket; absolute URLs the API hands out are rewritten to it and checked), and a hard stop ends
// the process even if something hangs.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { rng } from "./feed.mjs";
import { rssMb, schedOf, schedstat, workerdPids } from "./proc.mjs";
import { root, startWorker } from "./worker.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
/** Operations started per second, all kinds together (some are several requests: see MIX). */
const RATE = Number(process.env.SOAK_RATE ?? 20);
/** Accounts signed up before the run; the run's sign-ups add to them. */
const USERS = Number(process.env.SOAK_USERS ?? 40);
const WARMUP = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(20, Math.max(3, Math.round(SECONDS / 10))));
const SEED = Number(process.env.SOAK_SEED ?? 7);
/** Set-up, drain and reconciliation get this long on top of the run before the hard stop. */
const GRACE = Number(process.env.SOAK_GRACE_SECONDS ?? 420);
const REQUEST_TIMEOUT_MS = 30_000;
/** Operations in flight beyond this are not started (counted as `skipped_backlog`): a bound, not a throttle. */
const MAX_IN_FLIGHT = 400;
const ROOMS = Math.max(2, Math.round(USERS / 4));
const LIVE_VIEWERS = Math.min(6, USERS - 2);

/**
 * The mix: relative weights of each operation kind (share of RATE). Reads dominate, as in a
 * photo app; uploads outnumber posts + stories, since each post or story uses one ready image.
 */
const MIX = {
  signup: 0.6, // sign-up + login (the 202 sign-up has no session)
  login: 1.5,
  refresh: 0.6,
  upload: 4, // media ticket + PUT of real JPEG bytes + complete; status polled until ready
  post: 2.5,
  story: 1,
  follow: 4,
  unfollow: 0.8,
  feed: 14,
  like: 10,
  unlike: 1.5,
  comment: 6,
  save: 1.5,
  chat: 14, // a message on a member's room socket
  live_comment: 4, // a comment frame on a live session's socket
  story_tray: 4,
  story_view: 4,
  notifications: 5,
  search: 3,
  profile: 3,
  post_read: 3,
  conversations: 1.5,
  media_view: 3,
  explore: 0.8,
  report: 0.3,
};

// ---------------------------------------------------------------------------------------------
// Plumbing: PRNG, stats, requests.

const random = rng(SEED);
const pick = (list) => list[Math.floor(random() * list.length)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const round1 = (x) => (x === null ? null : Math.round(x * 10) / 10);

let phase = "setup";
/** Per phase, per request kind: count, statuses, latencies (ms). */
const stats = { setup: new Map(), warmup: new Map(), soak: new Map(), drain: new Map() };
/** Every 5xx and every request without an answer (network error, timeout), in full. */
const failures = [];
/** A few samples of each unexpected 4xx, to tell a client mistake from a server one. */
const clientErrors = new Map();

function record(label, status, ms) {
  const table = stats[phase];
  let s = table.get(label);
  if (!s) {
    s = { count: 0, statuses: {}, latencies: [] };
    table.set(label, s);
  }
  s.count++;
  s.statuses[status] = (s.statuses[status] ?? 0) + 1;
  if (ms !== null) s.latencies.push(ms);
}

let base = "";
/** Only the Worker's direct socket on 127.0.0.1 is ever called. */
function localUrl(pathOrUrl) {
  const target = /^https?:/.test(pathOrUrl) ? pathOrUrl.replace(/^https?:\/\/[^/]+/, base) : `${base}${pathOrUrl}`;
  if (new URL(target).hostname !== "127.0.0.1") throw new Error(`refusing a non-local URL: ${target}`);
  return target;
}

/**
 * One request, timed and counted under `label`. Answers `{status, body}` (body parsed when JSON);
 * status 0 = no answer. `ok` lists the statuses the caller expects; any other 4xx is sampled.
 */
async function call(label, method, path, { user, body, headers = {}, bytes, ok = [200, 201, 202, 204] } = {}) {
  const url = localUrl(path);
  const h = { ...headers };
  if (user) {
    h.authorization = `Bearer ${user.token}`;
    h["cf-connecting-ip"] = user.ip;
  } else if (!h["cf-connecting-ip"]) h["cf-connecting-ip"] = randomIp();
  let payload;
  if (bytes) payload = bytes;
  else if (body !== undefined) {
    h["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const started = performance.now();
  let res;
  let text;
  try {
    res = await fetch(url, { method, headers: h, body: payload, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const type = res.headers.get("content-type") ?? "";
    text = type.includes("json") || type.startsWith("text/") ? await res.text() : null;
    if (text === null) await res.arrayBuffer();
  } catch (err) {
    record(label, 0, null);
    failures.push({ label, method, path, status: 0, error: String(err), at: new Date().toISOString(), phase });
    return { status: 0, body: null };
  }
  const ms = performance.now() - started;
  record(label, res.status, ms);
  if (res.status >= 500) {
    failures.push({
      label,
      method,
      path,
      status: res.status,
      body: text?.slice(0, 500) ?? null,
      at: new Date().toISOString(),
      phase,
    });
  } else if (!ok.includes(res.status) && res.status !== 304) {
    const samples = clientErrors.get(label) ?? [];
    if (samples.length < 3) samples.push({ method, path, status: res.status, body: text?.slice(0, 300) ?? null });
    clientErrors.set(label, samples);
  }
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let ipCounter = 0;
function randomIp() {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

// ---------------------------------------------------------------------------------------------
// What the run did, as the client saw it acknowledged: the ledger the reconciliation checks.

const stamp = Date.now().toString(36).slice(-5);
const users = [];
const userById = new Map();
/** `${follower}>${followee}` → time (performance.now) the follow was acknowledged. */
const follows = new Map();
/** Pairs followed at some point (a notification for an undone follow is legitimate). */
const everFollowed = new Set();
/** `${user}:${post}` → liked now (acknowledged); pairs ever liked. */
const likes = new Map();
const saves = new Map();
const posts = [];
const postById = new Map();
const comments = [];
const stories = [];
const storyViews = new Set();
const reports = [];
/** Media completed (ticket, PUT, complete acknowledged): id → {owner, status}. */
const media = new Map();
/** Pairs (or ids) with an operation in flight: a second op on the same pair would race the first. */
const busy = new Set();
const rooms = [];
const chatSent = new Map(); // client_id → {room, sender, at, acked, ackMs}
let live = null;
const hubFrames = { notification: 0, message: 0, closes: 0 };
const socketCloses = [];
let opCounter = 0;
let signUps = 0;
/** workerd's log lines, by level (the app's JSON lines by their own `level`); errors kept in full. */
const workerdLog = { lines: [], levels: {}, errors: [] };
function onLog({ level, message }) {
  let lvl = level;
  try {
    const parsed = JSON.parse(message);
    if (typeof parsed?.level === "string") lvl = parsed.level;
  } catch {
    // Not one of the app's JSON lines.
  }
  workerdLog.levels[lvl] = (workerdLog.levels[lvl] ?? 0) + 1;
  workerdLog.lines.push(`${new Date().toISOString()} ${phase} ${lvl} ${message}`);
  if (lvl === "error") workerdLog.errors.push(message.slice(0, 500));
}

const WORDS = ["sunset", "coffee", "beach", "city", "mountain", "rain", "garden", "market", "bridge", "harbour"];
const TAGS = ["travel", "food", "photo", "weekend", "nature", "street"];

async function signUp(label, n) {
  const username = `soak_${stamp}_${n}`;
  const password = `soak password ${n}`;
  const ip = randomIp();
  const s = await call(`${label}: sign-up`, "POST", "/v1/auth/signup", {
    body: { username, email: `${username}@example.com`, password },
    headers: { "cf-connecting-ip": ip },
  });
  if (s.status !== 202 && s.status !== 201) return null;
  const l = await call(`${label}: login`, "POST", "/v1/auth/login", {
    body: { login: username, password },
    headers: { "cf-connecting-ip": ip },
  });
  if (l.status !== 200) return null;
  const user = {
    id: l.body.user.id,
    username,
    password,
    ip,
    token: l.body.access_token,
    refresh: l.body.refresh_token,
    ready: [], // ready, unused media ids
    hub: null,
  };
  users.push(user);
  userById.set(user.id, user);
  return user;
}

const following = (f, a) => follows.has(`${f.id}>${a.id}`);

async function follow(f, a, label = "follow") {
  const key = `${f.id}>${a.id}`;
  busy.add(key);
  const r = await call(label, "POST", `/v1/users/${a.username}/follow`, { user: f });
  if (r.status === 200 && r.body?.state === "following") {
    follows.set(key, performance.now());
    everFollowed.add(key);
  }
  busy.delete(key);
}

// Real JPEG bytes: a few distinct photos made once with sharp, uploaded in turn.
const photos = [];
async function makePhotos() {
  for (let i = 0; i < 12; i++) {
    const hue = (i * 37) % 255;
    photos.push(
      await sharp({
        create: { width: 800, height: 600, channels: 3, background: { r: hue, g: 255 - hue, b: (hue * 3) % 255 } },
      })
        .composite([
          {
            input: Buffer.from(
              `<svg width="400" height="300"><circle cx="${100 + i * 20}" cy="150" r="${60 + i * 5}" fill="orange"/><rect x="10" y="${10 + i * 10}" width="120" height="40" fill="white"/></svg>`,
            ),
            top: 150,
            left: 200,
          },
        ])
        .jpeg({ quality: 82 })
        .toBuffer(),
    );
  }
}

/** Ticket, PUT, complete; then polls the status (a client waits for `ready`) in the background. */
async function upload(user, label = "upload") {
  const bytes = photos[opCounter++ % photos.length];
  const t = await call(`${label}: media ticket`, "POST", "/v1/media", {
    user,
    body: { content_type: "image/jpeg", byte_size: bytes.length },
  });
  if (t.status !== 201 && t.status !== 200) return null;
  const put = await call(`${label}: PUT bytes`, "PUT", t.body.upload_url, { bytes, ok: [204] });
  if (put.status !== 204) return null;
  const c = await call(`${label}: complete`, "POST", `/v1/media/${t.body.media_id}/complete`, { user, body: {} });
  if (c.status !== 200 && c.status !== 202) return null;
  const entry = { owner: user.id, status: "processing" };
  media.set(t.body.media_id, entry);
  const id = t.body.media_id;
  const poll = (async () => {
    for (let i = 0; i < 120; i++) {
      await sleep(1000);
      const r = await call("media status (poll)", "GET", `/v1/media/${id}`, { user });
      if (r.body?.status === "ready" || r.body?.status === "failed") {
        entry.status = r.body.status;
        if (r.body.status === "ready") user.ready.push(id);
        return id;
      }
    }
    return null;
  })();
  return poll;
}

function caption(author) {
  const parts = [pick(WORDS), pick(WORDS), `#${pick(TAGS)}`];
  let mention = null;
  if (random() < 0.2 && users.length > 1) {
    const m = pick(users);
    if (m.id !== author.id) {
      mention = m;
      parts.push(`@${m.username}`);
    }
  }
  return { text: parts.join(" "), mention };
}

async function createPost(user, label = "post create") {
  const mediaId = user.ready.shift();
  if (!mediaId) return null;
  const { text, mention } = caption(user);
  const sentAt = performance.now();
  const r = await call(label, "POST", "/v1/posts", { user, body: { media_ids: [mediaId], caption: text } });
  if (r.status !== 201 && r.status !== 200) return null;
  const post = {
    id: r.body.id,
    author: user.id,
    sentAt,
    mention: mention?.id ?? null,
    small: r.body.media?.[0]?.urls?.small ?? null,
  };
  posts.push(post);
  postById.set(post.id, post);
  return post;
}

// ---------------------------------------------------------------------------------------------
// Sockets: chat rooms (every member holds one), hubs, the live session.

function openSocket(path, onFrame, onClose) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(localUrl(path).replace(/^http/, "ws"));
    let settled = false;
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data));
      if (!settled && frame.type === "ready") {
        settled = true;
        resolve(ws);
      }
      onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (!settled) {
        settled = true;
        reject(new Error(`socket ${path} closed before ready: ${event.code} ${event.reason}`));
      } else onClose(event);
    });
    ws.addEventListener("error", () => {
      if (!settled) {
        settled = true;
        reject(new Error(`socket ${path} failed`));
      }
    });
  });
}

async function ticket(user, scope, label) {
  const r = await call(label, "POST", "/v1/realtime/tickets", { user, body: { scope } });
  if (r.status !== 200 && r.status !== 201) throw new Error(`ticket ${scope}: ${r.status}`);
  return r.body.ticket;
}

let closing = false;

/** One member's socket on a room; reconnects with `?since=` (as a client would) if the server closes it. */
async function joinRoom(room, user) {
  const seat = { user, ws: null, received: new Set(), lastSeq: 0, reconnects: 0 };
  room.seats.set(user.id, seat);
  const onFrame = (frame) => {
    if (frame.type === "message") {
      const m = frame.message;
      seat.lastSeq = Math.max(seat.lastSeq, m.seq);
      const sent = chatSent.get(m.client_id);
      if (!sent) return;
      if (m.sender === user.id) {
        if (!sent.acked) {
          sent.acked = true;
          sent.seq = m.seq;
          sent.ackMs = performance.now() - sent.at;
          record("chat message: socket ack", "ack", sent.ackMs);
        }
      } else if (!seat.received.has(m.client_id)) {
        seat.received.add(m.client_id);
        record("chat message: delivery to a member", "delivered", performance.now() - sent.at);
      }
    } else if (frame.type === "error") {
      const sent = frame.client_id ? chatSent.get(frame.client_id) : null;
      if (sent) sent.refused = frame.code;
      record("chat message: socket ack", `error ${frame.code}`, null);
    }
  };
  const connect = async () => {
    const t = await ticket(user, `conversation:${room.id}`, "realtime ticket");
    const since = seat.lastSeq > 0 ? `&since=${seat.lastSeq}` : "";
    seat.ws = await openSocket(`/v1/conversations/${room.id}/ws?ticket=${t}${since}`, onFrame, onClose);
  };
  const onClose = (event) => {
    if (closing) return;
    socketCloses.push({ kind: "room", room: room.id, code: event.code, reason: event.reason });
    seat.ws = null;
    seat.reconnects++;
    connect().catch((err) => socketCloses.push({ kind: "room reconnect failed", error: String(err) }));
  };
  await connect();
}

async function openHub(user) {
  const onFrame = (frame) => {
    if (frame.type === "notification") hubFrames.notification++;
    if (frame.type === "message") hubFrames.message++;
  };
  const onClose = (event) => {
    if (closing) return;
    hubFrames.closes++;
    socketCloses.push({ kind: "hub", user: user.username, code: event.code, reason: event.reason });
  };
  const t = await ticket(user, "user", "realtime ticket");
  user.hub = await openSocket(`/v1/realtime?ticket=${t}`, onFrame, onClose);
}

async function joinLive(user) {
  const seat = { user, ws: null, received: new Set() };
  const onFrame = (frame) => {
    if (frame.type !== "comment") return;
    for (const c of frame.comments) {
      const sent = live.sent.get(c.client_id);
      if (!sent) continue;
      if (c.user.id === user.id) {
        if (!sent.acked) {
          sent.acked = true;
          record("live comment: socket ack", "ack", performance.now() - sent.at);
        }
      } else if (!seat.received.has(c.client_id)) {
        seat.received.add(c.client_id);
        record("live comment: delivery to a viewer", "delivered", performance.now() - sent.at);
      }
    }
  };
  const onClose = (event) => {
    if (closing || live.ending) return;
    socketCloses.push({ kind: "live", user: user.username, code: event.code, reason: event.reason });
    seat.ws = null;
  };
  const t = await ticket(user, `live:${live.id}`, "realtime ticket");
  seat.ws = await openSocket(`/v1/live/${live.id}/ws?ticket=${t}`, onFrame, onClose);
  live.seats.set(user.id, seat);
}

// ---------------------------------------------------------------------------------------------
// The operations of the mix. Each picks its actors and targets from the ledger; one that finds
// nothing to act on does the nearest read instead, so the rate stays what was planned.

const notBusy = (key) => !busy.has(key);

const ops = {
  async signup() {
    await signUp("sign-up", 1000 + signUps++);
  },
  async login() {
    const u = pick(users);
    const r = await call("login", "POST", "/v1/auth/login", {
      body: { login: u.username, password: u.password },
      headers: { "cf-connecting-ip": u.ip },
      ok: [200, 429],
    });
    if (r.status === 200) {
      u.token = r.body.access_token;
      u.refresh = r.body.refresh_token;
    }
  },
  async refresh() {
    const u = pick(users);
    if (busy.has(`refresh:${u.id}`)) return ops.feed();
    busy.add(`refresh:${u.id}`);
    const r = await call("token refresh", "POST", "/v1/auth/refresh", {
      body: { refresh_token: u.refresh },
      headers: { "cf-connecting-ip": u.ip },
    });
    if (r.status === 200) {
      u.token = r.body.access_token;
      u.refresh = r.body.refresh_token;
    }
    busy.delete(`refresh:${u.id}`);
  },
  async upload() {
    await upload(pick(users));
  },
  async post() {
    const candidates = users.filter((u) => u.ready.length > 0);
    if (candidates.length === 0) return ops.feed();
    await createPost(pick(candidates));
  },
  async story() {
    const candidates = users.filter((u) => u.ready.length > 0);
    if (candidates.length === 0) return ops.story_tray();
    const u = pick(candidates);
    const mediaId = u.ready.shift();
    const sentAt = performance.now();
    const r = await call("story create", "POST", "/v1/stories", {
      user: u,
      body: { media_id: mediaId, caption: pick(WORDS) },
    });
    if (r.status === 201 || r.status === 200) stories.push({ id: r.body.id, author: u.id, sentAt });
  },
  async follow() {
    for (let i = 0; i < 5; i++) {
      const f = pick(users);
      const a = pick(users);
      if (f === a || following(f, a) || !notBusy(`${f.id}>${a.id}`)) continue;
      return follow(f, a);
    }
    return ops.profile();
  },
  async unfollow() {
    const keys = [...follows.keys()].filter((k) => notBusy(k) && !live?.protected.has(k));
    if (keys.length === 0) return ops.profile();
    const key = pick(keys);
    const [fid, aid] = key.split(">");
    const f = userById.get(fid);
    const a = userById.get(aid);
    busy.add(key);
    const r = await call("unfollow", "DELETE", `/v1/users/${a.username}/follow`, { user: f });
    if (r.status === 200) follows.delete(key);
    busy.delete(key);
  },
  async feed() {
    const u = pick(users);
    const mode = random() < 0.15 ? "?mode=ranked" : "";
    const r = await call(mode ? "feed read (ranked)" : "feed read", "GET", `/v1/feed${mode}`, { user: u });
    if (r.status === 200 && r.body?.next_cursor && random() < 0.3) {
      await call(
        "feed read, page 2",
        "GET",
        `/v1/feed?cursor=${encodeURIComponent(r.body.next_cursor)}${mode ? "&mode=ranked" : ""}`,
        {
          user: u,
        },
      );
    }
  },
  async like() {
    if (posts.length === 0) return ops.feed();
    for (let i = 0; i < 5; i++) {
      const u = pick(users);
      const p = pick(posts);
      const key = `${u.id}:${p.id}`;
      if (likes.get(key) || !notBusy(`like:${key}`)) continue;
      busy.add(`like:${key}`);
      const r = await call("like", "POST", `/v1/posts/${p.id}/like`, { user: u });
      if (r.status === 200) likes.set(key, true);
      busy.delete(`like:${key}`);
      return;
    }
    return ops.feed();
  },
  async unlike() {
    const liked = [...likes.entries()].filter(([k, v]) => v && notBusy(`like:${k}`)).map(([k]) => k);
    if (liked.length === 0) return ops.feed();
    const key = pick(liked);
    const [uid, pid] = key.split(":");
    busy.add(`like:${key}`);
    const r = await call("unlike", "DELETE", `/v1/posts/${pid}/like`, { user: userById.get(uid) });
    if (r.status === 200) likes.set(key, false);
    busy.delete(`like:${key}`);
  },
  async comment() {
    if (posts.length === 0) return ops.feed();
    const u = pick(users);
    const p = pick(posts);
    const onPost = comments.filter((c) => c.post === p.id && c.parent === null);
    const parent = onPost.length > 0 && random() < 0.25 ? pick(onPost) : null;
    let mention = null;
    let body = `${pick(WORDS)} ${pick(WORDS)}!`;
    if (random() < 0.2) {
      mention = pick(users);
      body += ` @${mention.username}`;
    }
    const r = await call(parent ? "comment (reply)" : "comment", "POST", `/v1/posts/${p.id}/comments`, {
      user: u,
      body: parent ? { body, reply_to: parent.id } : { body },
    });
    if (r.status === 201 || r.status === 200) {
      comments.push({
        id: r.body.id,
        post: p.id,
        author: u.id,
        parent: parent?.id ?? null,
        mention: mention?.id ?? null,
      });
    }
  },
  async save() {
    if (posts.length === 0) return ops.feed();
    const u = pick(users);
    const p = pick(posts);
    const key = `${u.id}:${p.id}`;
    if (!notBusy(`save:${key}`)) return ops.feed();
    busy.add(`save:${key}`);
    const unsave = saves.get(key) === true;
    const r = await call(unsave ? "unsave" : "save", unsave ? "DELETE" : "POST", `/v1/posts/${p.id}/save`, { user: u });
    if (r.status === 200) saves.set(key, !unsave);
    busy.delete(`save:${key}`);
  },
  async chat() {
    const room = pick(rooms);
    const seats = [...room.seats.values()].filter((s) => s.ws !== null);
    if (seats.length === 0) return ops.conversations();
    const seat = pick(seats);
    const clientId = `soak-${stamp}-${opCounter++}`;
    chatSent.set(clientId, { room: room.id, sender: seat.user.id, at: performance.now(), acked: false });
    seat.ws.send(JSON.stringify({ type: "message", body: `${pick(WORDS)} at ${pick(WORDS)}?`, client_id: clientId }));
  },
  async live_comment() {
    if (!live) return ops.feed();
    const seats = [...live.seats.values()].filter((s) => s.ws !== null);
    if (seats.length === 0) return ops.feed();
    const seat = pick(seats);
    const clientId = `live-${stamp}-${opCounter++}`;
    live.sent.set(clientId, { sender: seat.user.id, at: performance.now(), acked: false });
    seat.ws.send(JSON.stringify({ type: "comment", body: `${pick(WORDS)}!`, client_id: clientId }));
  },
  async story_tray() {
    await call("story tray", "GET", "/v1/stories/tray", { user: pick(users) });
  },
  async story_view() {
    if (stories.length === 0) return ops.story_tray();
    for (let i = 0; i < 8; i++) {
      const v = pick(users);
      const s = pick(stories);
      const key = `${s.id}:${v.id}`;
      const author = userById.get(s.author);
      // Stories are for followers (the default audience): a viewer who follows the author.
      if (v.id === s.author || storyViews.has(key) || !following(v, author) || !notBusy(`view:${key}`)) continue;
      busy.add(`view:${key}`);
      const r = await call("story view", "POST", `/v1/stories/${s.id}/view`, { user: v, ok: [200, 204, 404] });
      if (r.status === 200 || r.status === 204) storyViews.add(key);
      busy.delete(`view:${key}`);
      return;
    }
    return ops.story_tray();
  },
  async notifications() {
    const u = pick(users);
    const r = await call("notifications list", "GET", "/v1/notifications?limit=20", { user: u });
    await call("notifications unread count", "GET", "/v1/notifications/unread_count", { user: u });
    const newest = r.body?.items?.[0]?.most_recent_notification_id;
    if (newest && random() < 0.3) {
      await call("notifications mark read", "POST", "/v1/notifications/read", {
        user: u,
        body: { last_read_id: newest },
      });
    }
  },
  async search() {
    const u = pick(users);
    const x = random();
    if (x < 0.4) {
      const q = pick(users).username.slice(0, 8 + Math.floor(random() * 4));
      await call("search accounts", "GET", `/v1/search?type=accounts&q=${encodeURIComponent(q)}`, { user: u });
    } else if (x < 0.7) {
      await call("search tags", "GET", `/v1/search?type=tags&q=${pick(TAGS).slice(0, 3)}`, { user: u });
    } else {
      await call("search posts", "GET", `/v1/search?type=posts&q=${pick(WORDS)}`, { user: u });
    }
  },
  async profile() {
    const u = pick(users);
    const other = pick(users);
    await call("profile read", "GET", `/v1/users/${other.username}`, { user: u });
    await call("profile posts", "GET", `/v1/users/${other.username}/posts`, { user: u });
  },
  async post_read() {
    if (posts.length === 0) return ops.feed();
    const u = pick(users);
    const p = pick(posts);
    await call("post read", "GET", `/v1/posts/${p.id}`, { user: u });
    await call("post comments", "GET", `/v1/posts/${p.id}/comments`, { user: u });
  },
  async conversations() {
    const room = pick(rooms);
    const u = pick([...room.seats.values()]).user;
    await call("conversation list", "GET", "/v1/conversations", { user: u });
  },
  async media_view() {
    const withImage = posts.filter((p) => p.small);
    if (withImage.length === 0) return ops.feed();
    const p = pick(withImage);
    await call("image variant (small)", "GET", p.small, { headers: { accept: pick(["image/webp", "image/jpeg"]) } });
  },
  async explore() {
    await call("explore", "GET", "/v1/explore", { user: pick(users) });
  },
  async report() {
    const mine = comments.filter((c) => c.parent === null);
    if (mine.length === 0) return ops.feed();
    const c = pick(mine);
    const u = pick(users.filter((x) => x.id !== c.author));
    const r = await call("report", "POST", "/v1/reports", {
      user: u,
      body: { target: { type: "comment", id: c.id }, reason: "spam" },
      ok: [200, 201, 429],
    });
    if (r.status === 201 || r.status === 200) reports.push(r.body.id);
  },
};

// ---------------------------------------------------------------------------------------------
// Memory of workerd: VmRSS of the Miniflare children of this process.

/** Bytes on disk under `dir` (the local stores' files), in MB. */
function diskMb(dir) {
  let bytes = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else bytes += statSync(p).size;
    }
  };
  try {
    walk(dir);
  } catch {
    // A file went away meanwhile: the figure is approximate anyway.
  }
  return Math.round(bytes / 1e5) / 10;
}

/** What the stores hold on disk, per store (D1, the Durable Objects' SQLite, R2, KV…). */
const storesMb = (storage) =>
  Object.fromEntries(
    readdirSync(storage, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => [e.name, diskMb(join(storage, e.name))]),
  );

/** Least-squares slope of (t, y) in y per minute. */
function slopePerMinute(samples) {
  if (samples.length < 3) return null;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.rss_mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mx) * (s.rss_mb - my);
    den += (s.t - mx) ** 2;
  }
  return den === 0 ? 0 : Math.round((num / den) * 60 * 10) / 10;
}

/**
 * The JS heap of each isolate in workerd (the Worker with its Durable Objects, and Miniflare's own
 * D1, R2, KV, queue and rate-limit services), through the V8 inspector: RSS alone cannot tell a
 * leak in the Worker's code from native memory (SQLite caches, sockets). No forced GC (workerd's
 * inspector does not offer one), so a single figure is noisy: read the trend.
 */
async function inspectorSessions(inspectorUrl) {
  const targets = await (await fetch(`http://${inspectorUrl.host}/json`)).json();
  const sessions = new Map();
  for (const t of targets) {
    if (t.id === "MINIFLARE_DEV_CONTROL") continue;
    try {
      const ws = new WebSocket(`ws://${inspectorUrl.host}/${t.id}`);
      await new Promise((resolve, reject) => {
        ws.addEventListener("open", resolve, { once: true });
        ws.addEventListener("error", reject, { once: true });
      });
      let id = 0;
      const pending = new Map();
      ws.addEventListener("message", (event) => {
        const m = JSON.parse(String(event.data));
        pending.get(m.id)?.(m);
        pending.delete(m.id);
      });
      const send = (method) =>
        Promise.race([
          new Promise((resolve) => {
            const i = ++id;
            pending.set(i, resolve);
            ws.send(JSON.stringify({ id: i, method }));
          }),
          sleep(5000).then(() => null),
        ]);
      sessions.set(t.id, { ws, send });
    } catch {
      // A target that does not take a session is left out.
    }
  }
  return sessions;
}

async function heapByIsolate(sessions) {
  const out = {};
  await Promise.all(
    [...sessions].map(async ([id, s]) => {
      const r = await s.send("Runtime.getHeapUsage");
      if (r?.result) out[id] = Math.round(r.result.usedSize / 1e5) / 10;
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run.

const hardStop = setTimeout(
  () => {
    console.error(`soak: hard stop after ${SECONDS + WARMUP + GRACE} s; failures so far:`, failures.slice(0, 20));
    process.exit(2);
  },
  (SECONDS + WARMUP + GRACE) * 1000,
);
hardStop.unref();

const { mf, url, storage, cleanup } = await startWorker({ onLog, inspector: true });
base = url;
if (new URL(base).hostname !== "127.0.0.1") throw new Error(`the Worker is not on 127.0.0.1: ${base}`);
const db = await mf.getD1Database("DB");
const worker = await mf.getWorker();
const pids = workerdPids();
const heapSessions = await inspectorSessions(await mf.getInspectorURL());
const heaps = [];
let exitCode = 0;
try {
  await makePhotos();
  const setupStarted = performance.now();
  console.log(`soak: ${USERS} accounts, ${ROOMS} conversations, ${RATE} ops/s for ${WARMUP} s warm-up + ${SECONDS} s`);

  // Accounts, four sign-ups at a time (each hashes a password twice: sign-up and login).
  for (let i = 0; i < USERS; i += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, USERS - i) }, (_, k) => signUp("set-up", i + k)).map((p) => p.catch(() => null)),
    );
  }
  if (users.length < USERS) throw new Error(`set-up: only ${users.length} of ${USERS} accounts`);
  // A graph: each account follows ~8 others.
  const setupFollows = [];
  for (const f of users) {
    const targets = new Set();
    while (targets.size < 8) {
      const a = pick(users);
      if (a !== f) targets.add(a);
    }
    for (const a of targets) setupFollows.push([f, a]);
  }
  for (let i = 0; i < setupFollows.length; i += 8) {
    await Promise.all(setupFollows.slice(i, i + 8).map(([f, a]) => follow(f, a, "set-up: follow")));
  }
  // A first image for a third of the accounts, posted, so the first likes have targets.
  const firstUploads = await Promise.all(users.slice(0, Math.ceil(USERS / 3)).map((u) => upload(u, "set-up")));
  await Promise.all(firstUploads);
  for (const u of users.slice(0, Math.ceil(USERS / 3))) await createPost(u, "set-up: post create");
  // Conversations: 1:1s and groups of 3-4, every member accepting and holding a socket; a hub per account.
  for (let r = 0; r < ROOMS; r++) {
    const size = r % 3 === 0 ? 2 : 3 + (r % 2);
    const members = new Set();
    while (members.size < size) members.add(pick(users));
    const [owner, ...rest] = [...members];
    const c = await call("set-up: conversation create", "POST", "/v1/conversations", {
      user: owner,
      body: { usernames: rest.map((u) => u.username) },
    });
    if (c.status !== 201 && c.status !== 200) throw new Error(`conversation: ${c.status} ${JSON.stringify(c.body)}`);
    if (rooms.some((x) => x.id === c.body.id)) continue; // the same 1:1 drawn twice
    const room = { id: c.body.id, members: [...members], seats: new Map() };
    rooms.push(room);
    for (const u of rest)
      await call("set-up: conversation accept", "POST", `/v1/conversations/${room.id}/accept`, { user: u });
    for (const u of members) await joinRoom(room, u);
  }
  for (const u of users) await openHub(u);
  // A comments-only live session: the host's first LIVE_VIEWERS followers watch (and comment).
  const host = users[0];
  const viewers = users.slice(1, 1 + LIVE_VIEWERS);
  for (const v of viewers) if (!following(v, host)) await follow(v, host, "set-up: follow");
  const session = await call("set-up: live create", "POST", "/v1/live", { user: host, body: { title: "soak live" } });
  if (session.status !== 201) throw new Error(`live: ${session.status} ${JSON.stringify(session.body)}`);
  live = { id: session.body.id, host: host.id, seats: new Map(), sent: new Map(), protected: new Set(), told: [] };
  // Its viewers keep following the host for the run, so who was told of the start stays checkable.
  for (const k of follows.keys()) if (k.endsWith(`>${host.id}`)) live.protected.add(k);
  live.told = [...live.protected].map((k) => k.split(">")[0]);
  const started = await call("set-up: live start", "POST", `/v1/live/${live.id}/start`, { user: host });
  if (started.status !== 200) throw new Error(`live start: ${started.status}`);
  for (const u of [host, ...viewers]) await joinLive(u);
  const setupSeconds = Math.round((performance.now() - setupStarted) / 100) / 10;
  console.log(
    `soak: set-up done in ${setupSeconds} s (${users.length} accounts, ${follows.size} follows, ${posts.length} posts, ` +
      `${rooms.length} rooms, ${rooms.reduce((a, r) => a + r.seats.size, 0)} room sockets, ${users.length} hub sockets, ` +
      `${live.seats.size} live sockets); workerd pids ${pids.join(",") || "not found"}, RSS ${rssMb(pids)} MB`,
  );

  // The open loop.
  // SOAK_ONLY=feed,chat,… runs part of the mix (to tell which operations a figure comes from).
  const only = process.env.SOAK_ONLY?.split(",").map((x) => x.trim());
  const unknown = only?.filter((k) => !(k in MIX)) ?? [];
  if (unknown.length > 0) throw new Error(`SOAK_ONLY: unknown operations ${unknown.join(", ")}`);
  const names = Object.keys(MIX).filter((k) => !only || only.includes(k));
  const total = names.reduce((a, k) => a + MIX[k], 0);
  const cumulative = [];
  let acc = 0;
  for (const k of names) {
    acc += MIX[k] / total;
    cumulative.push([acc, k]);
  }
  const draw = () => {
    const x = random();
    for (const [c, k] of cumulative) if (x < c) return k;
    return names[names.length - 1];
  };
  const memory = [];
  const planned = Math.round(RATE * (WARMUP + SECONDS));
  const interval = 1000 / RATE;
  const inFlight = new Set();
  const started0 = performance.now();
  const lags = [];
  let skipped = 0;
  const opCounts = {};
  let baseline = null;
  let cpu0 = null;
  let disk0 = null;
  let memoryTicks = 0;
  const sampleMemory = () => {
    const t = Math.round((performance.now() - started0) / 100) / 10;
    memory.push({ t, phase, rss_mb: rssMb(pids) });
    // The isolates' heaps every 30 s (and at the phase changes, below).
    if (memoryTicks++ % 6 === 0) heapByIsolate(heapSessions).then((h) => heaps.push({ t, phase, heap_mb: h }));
  };
  const memoryTimer = setInterval(sampleMemory, 5000);
  // Crons do not fire in Miniflare by themselves: the outbox sender every minute, as in production.
  const cronTimer = setInterval(() => {
    worker.scheduled({ cron: "* * * * *" }).catch((err) => failures.push({ label: "cron", error: String(err), phase }));
  }, 60_000);
  phase = "warmup";
  sampleMemory();
  for (let i = 0; i < planned; i++) {
    const due = started0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (phase === "warmup" && performance.now() - started0 >= WARMUP * 1000) {
      phase = "soak";
      sampleMemory();
      baseline = memory[memory.length - 1];
      heaps.push({ t: baseline.t, phase, heap_mb: await heapByIsolate(heapSessions) });
      disk0 = storesMb(storage);
      cpu0 = { workerd: schedOf(pids), node: schedstat("self"), at: performance.now() };
      console.log(`soak: warm-up done, workerd RSS ${baseline.rss_mb} MB; measuring for ${SECONDS} s`);
    }
    lags.push(performance.now() - due);
    if (inFlight.size >= MAX_IN_FLIGHT) {
      skipped++;
      continue;
    }
    const kind = draw();
    opCounts[kind] = (opCounts[kind] ?? 0) + 1;
    const op = ops[kind]().catch((err) =>
      failures.push({ label: `op ${kind}`, error: String(err?.stack ?? err), phase }),
    );
    inFlight.add(op);
    op.finally(() => inFlight.delete(op));
    if (i % Math.round(RATE * 30) === 0 && i > 0) {
      const s = Math.round((performance.now() - started0) / 1000);
      console.log(
        `soak: ${s} s, ${i} ops started, ${inFlight.size} in flight, ${failures.length} failures, RSS ${rssMb(pids)} MB`,
      );
    }
  }
  const loadSeconds = (performance.now() - started0) / 1000;
  sampleMemory();
  const endOfLoad = memory[memory.length - 1];
  heaps.push({ t: endOfLoad.t, phase: "end", heap_mb: await heapByIsolate(heapSessions) });
  const disk1 = storesMb(storage);
  // CPU over the measured window: cores used, and time ready to run but waiting for a core (the
  // machine is shared), for workerd and for this Node process (the client, and Miniflare's
  // image transforms, which run here through sharp).
  const cpu1 = { workerd: schedOf(pids), node: schedstat("self"), at: performance.now() };
  const window = (cpu1.at - cpu0.at) / 1000;
  const cores = (a, b, k) => (a && b ? Math.round(((b[k] - a[k]) / window) * 100) / 100 : null);
  const cpu = {
    workerd_cores: cores(cpu0.workerd, cpu1.workerd, "run"),
    workerd_waiting_cores: cores(cpu0.workerd, cpu1.workerd, "wait"),
    node_cores: cores(cpu0.node, cpu1.node, "run"),
    node_waiting_cores: cores(cpu0.node, cpu1.node, "wait"),
  };
  phase = "drain";
  // Operations still in flight finish (bounded by the request timeout), then the queues drain.
  await Promise.race([Promise.all([...inFlight]), sleep(REQUEST_TIMEOUT_MS + 5000)]);
  const drainStarted = performance.now();
  const counts = async () =>
    await db
      .prepare(
        `SELECT (SELECT count(*) FROM notifications) AS notifications,
                  (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS outbox_unsent,
                  (SELECT count(*) FROM media WHERE status IN ('processing', 'uploaded')) AS media_processing,
                  (SELECT count(*) FROM notifications WHERE delivered_at IS NULL AND folder = 'main') AS undelivered`,
      )
      .first();
  const chatPending = () => {
    let n = 0;
    for (const m of chatSent.values()) {
      if (!m.acked) continue;
      const room = rooms.find((r) => r.id === m.room);
      for (const seat of room.seats.values()) if (seat.user.id !== m.sender && !seat.received.has(m.clientId)) n++;
    }
    return n;
  };
  for (const [k, v] of chatSent) v.clientId = k;
  let last = null;
  let stable = 0;
  let drainCounts = null;
  let outboxFlushed = false;
  while (performance.now() - drainStarted < 90_000) {
    await sleep(1000);
    drainCounts = { ...(await counts()), chat_deliveries_pending: chatPending() };
    const key = JSON.stringify(drainCounts);
    stable = key === last ? stable + 1 : 0;
    last = key;
    const idle = drainCounts.outbox_unsent === 0 && drainCounts.media_processing === 0 && drainCounts.undelivered === 0;
    if (stable >= 3 && idle) break;
    // Stuck but not idle after a while: one outbox flush, as the minute cron would.
    if (stable >= 5 && !outboxFlushed) {
      outboxFlushed = true;
      await worker.scheduled({ cron: "* * * * *" });
    }
  }
  clearInterval(cronTimer);
  const drainSeconds = Math.round((performance.now() - drainStarted) / 100) / 10;
  console.log(`soak: drained in ${drainSeconds} s:`, drainCounts);

  // ------------------------------------------------------------------------------------------
  // Reconciliation.
  const lost = {};
  const note = (what, n, examples) => {
    lost[what] = { count: n, examples: examples.slice(0, 5) };
  };

  // Chat: every acknowledged message stored (read back over the API) and delivered to every other member's socket.
  const chatStoredMissing = [];
  const chatDeliveriesMissing = [];
  const chatPhantom = [];
  let chatExpectedDeliveries = 0;
  for (const room of rooms) {
    const reader = room.members[0];
    const stored = new Set();
    let cursor = null;
    for (let page = 0; page < 200; page++) {
      const r = await call(
        "reconcile: chat history",
        "GET",
        `/v1/conversations/${room.id}/messages?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { user: reader },
      );
      if (r.status !== 200) break;
      for (const m of r.body.items) stored.add(m.client_id);
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    const mine = [...chatSent.values()].filter((m) => m.room === room.id);
    for (const m of mine) {
      if (!m.acked) continue;
      if (!stored.has(m.clientId)) chatStoredMissing.push(m.clientId);
      for (const seat of room.seats.values()) {
        if (seat.user.id === m.sender) continue;
        chatExpectedDeliveries++;
        if (!seat.received.has(m.clientId)) chatDeliveriesMissing.push(`${m.clientId} → ${seat.user.username}`);
      }
    }
    const ours = new Set(mine.map((m) => m.clientId));
    for (const id of stored) if (!ours.has(id)) chatPhantom.push(id);
  }
  const chatUnacked = [...chatSent.values()].filter((m) => !m.acked);
  note("chat: acknowledged, not stored", chatStoredMissing.length, chatStoredMissing);
  note("chat: acknowledged, not delivered to a member's socket", chatDeliveriesMissing.length, chatDeliveriesMissing);
  note("chat: stored, never sent", chatPhantom.length, chatPhantom);
  note(
    "chat: sent, never acknowledged (nor refused)",
    chatUnacked.filter((m) => !m.refused).length,
    chatUnacked.filter((m) => !m.refused).map((m) => m.clientId),
  );

  // Live comments: every acknowledged comment in the replay and on every other open socket.
  const liveStored = new Set();
  {
    let cursor = null;
    for (let page = 0; page < 200; page++) {
      const r = await call(
        "reconcile: live replay",
        "GET",
        `/v1/live/${live.id}/comments?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { user: host },
      );
      if (r.status !== 200) break;
      for (const c of r.body.items) liveStored.add(c.client_id);
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
  }
  const liveMissing = [];
  const liveUndelivered = [];
  let liveExpectedDeliveries = 0;
  for (const [clientId, s] of live.sent) {
    if (!s.acked) continue;
    if (!liveStored.has(clientId)) liveMissing.push(clientId);
    for (const seat of live.seats.values()) {
      if (seat.user.id === s.sender) continue;
      liveExpectedDeliveries++;
      if (!seat.received.has(clientId)) liveUndelivered.push(`${clientId} → ${seat.user.username}`);
    }
  }
  const liveUnacked = [...live.sent.entries()].filter(([, s]) => !s.acked).map(([k]) => k);
  note("live: acknowledged comment not in the replay", liveMissing.length, liveMissing);
  note("live: acknowledged comment not delivered to a viewer", liveUndelivered.length, liveUndelivered);
  note("live: comment never acknowledged", liveUnacked.length, liveUnacked);
  live.ending = true;
  await call("set-up: live end", "POST", `/v1/live/${live.id}/end`, { user: host });

  // Writes acknowledged over HTTP, in D1.
  const rows = async (q) => (await db.prepare(q).all()).results;
  const ours = new Set(users.map((u) => u.id));
  const d1Likes = new Set((await rows("SELECT user_id, post_id FROM likes")).map((r) => `${r.user_id}:${r.post_id}`));
  const d1Follows = new Set(
    (await rows("SELECT follower_id, followee_id FROM follows")).map((r) => `${r.follower_id}>${r.followee_id}`),
  );
  const d1Saves = new Set((await rows("SELECT user_id, post_id FROM saves")).map((r) => `${r.user_id}:${r.post_id}`));
  const d1Comments = new Set((await rows("SELECT id FROM comments")).map((r) => r.id));
  const d1Posts = new Set((await rows("SELECT id FROM posts")).map((r) => r.id));
  const d1Views = new Set(
    (await rows("SELECT story_id, viewer_id FROM story_views")).map((r) => `${r.story_id}:${r.viewer_id}`),
  );
  const d1Media = new Map((await rows("SELECT id, status FROM media")).map((r) => [r.id, r.status]));
  const diff = (what, ledger, d1) => {
    const missing = [];
    const extra = [];
    for (const [k, v] of ledger) {
      if (v && !d1.has(k)) missing.push(k);
      if (!v && d1.has(k)) extra.push(k);
    }
    note(`D1: ${what} acknowledged, missing`, missing.length, missing);
    note(`D1: ${what} undone, still there`, extra.length, extra);
  };
  diff("likes", likes, d1Likes);
  diff("saves", saves, d1Saves);
  const followLedger = new Map([...everFollowed].map((k) => [k, follows.has(k)]));
  diff("follows", followLedger, d1Follows);
  diff("comments", new Map(comments.map((c) => [c.id, true])), d1Comments);
  diff("posts", new Map(posts.map((p) => [p.id, true])), d1Posts);
  diff("story views", new Map([...storyViews].map((k) => [k, true])), d1Views);
  const mediaNotReady = [...media.entries()]
    .filter(([id]) => d1Media.get(id) !== "ready")
    .map(([id]) => `${id}: ${d1Media.get(id)}`);
  note("media: completed, not ready", mediaNotReady.length, mediaNotReady);

  // Notifications: exactly one per fact that should notify (docs/notifications.md: likes and
  // follows are stored once per actor per group, so one row per liked pair / follow edge; each
  // comment, reply and mention is its own row), read from D1's notifications table.
  const expected = new Map(); // key → description
  const want = (recipient, type, actor, postId = null, commentId = null) => {
    if (recipient === actor) return;
    expected.set(`${recipient}|${type}|${actor}|${postId ?? ""}|${commentId ?? ""}`, true);
  };
  for (const [key, liked] of likes) {
    if (!liked) continue;
    const [uid, pid] = key.split(":");
    want(postById.get(pid).author, "like", uid, pid);
  }
  for (const key of follows.keys()) {
    const [f, a] = key.split(">");
    want(a, "follow", f);
  }
  const commentById = new Map(comments.map((c) => [c.id, c]));
  for (const c of comments) {
    const post = postById.get(c.post);
    const told = new Set();
    if (c.parent) {
      const parentAuthor = commentById.get(c.parent).author;
      told.add(parentAuthor);
      want(parentAuthor, "reply", c.author, c.post, c.id);
    }
    if (!told.has(post.author)) {
      told.add(post.author);
      want(post.author, "comment", c.author, c.post, c.id);
    }
    if (c.mention && !told.has(c.mention)) want(c.mention, "mention", c.author, c.post, c.id);
  }
  for (const p of posts) if (p.mention) want(p.mention, "mention", p.author, p.id);
  for (const v of live.told) want(v, "live_started", live.host);
  const stored = await rows(
    "SELECT recipient_id, type, actor_id, post_id, comment_id, folder, delivered_at FROM notifications",
  );
  const seen = new Map();
  for (const n of stored) {
    if (!ours.has(n.recipient_id)) continue;
    const key = `${n.recipient_id}|${n.type}|${n.actor_id}|${n.post_id ?? ""}|${n.comment_id ?? ""}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const missingN = [...expected.keys()].filter((k) => !seen.has(k));
  const duplicateN = [...seen.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  // A like or follow undone after its event was consumed keeps its notification (legitimate).
  const undone = (k) => {
    const [recipient, type, actor, postId] = k.split("|");
    if (type === "like") return likes.has(`${actor}:${postId}`);
    if (type === "follow") return everFollowed.has(`${actor}>${recipient}`);
    return false;
  };
  const unexpectedN = [...seen.keys()].filter((k) => !expected.has(k) && !undone(k));
  const undeliveredN = stored.filter((n) => n.folder === "main" && n.delivered_at === null).length;
  note("notifications: fact without its notification", missingN.length, missingN);
  note("notifications: more than one for one fact", duplicateN.length, duplicateN);
  note("notifications: no fact for it", unexpectedN.length, unexpectedN);
  note("notifications: stored, never delivered (delivered_at null)", undeliveredN, []);

  // Feeds: a post reaches each follower who followed its author before it was created and still
  // does (read through GET /v1/feed as the follower, newest first, every page).
  const feedOf = async (u) => {
    const ids = new Set();
    let cursor = null;
    for (let page = 0; page < 100; page++) {
      const r = await call(
        "reconcile: feed pages",
        "GET",
        `/v1/feed?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        {
          user: u,
          headers: { "cache-control": "no-cache" },
        },
      );
      if (r.status !== 200) break;
      for (const item of r.body.items) ids.add(item.id);
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    return ids;
  };
  const feedExpected = new Map(); // user id → post ids
  for (const p of posts) {
    (feedExpected.get(p.author) ?? feedExpected.set(p.author, new Set()).get(p.author)).add(p.id);
    for (const [key, since] of follows) {
      const [f, a] = key.split(">");
      if (a !== p.author || since >= p.sentAt) continue;
      (feedExpected.get(f) ?? feedExpected.set(f, new Set()).get(f)).add(p.id);
    }
  }
  let feedChecked = 0;
  let feedMissing = [];
  for (const [uid, want] of feedExpected) {
    const u = userById.get(uid);
    let got = await feedOf(u);
    let missing = [...want].filter((id) => !got.has(id));
    if (missing.length > 0) {
      await sleep(3000); // late rather than lost? one more read
      got = await feedOf(u);
      missing = [...want].filter((id) => !got.has(id));
    }
    feedChecked += want.size;
    feedMissing = feedMissing.concat(
      missing.map((id) => `${id} (by ${userById.get(postById.get(id).author).username}) → ${u.username}`),
    );
  }
  note("feed: post missing from a follower's GET /v1/feed", feedMissing.length, feedMissing);

  const lostTotal = Object.values(lost).reduce((a, x) => a + x.count, 0);

  // ------------------------------------------------------------------------------------------
  // Report.
  const table = {};
  for (const [label, s] of [...stats.soak.entries()].sort()) {
    const sorted = s.latencies.sort((a, b) => a - b);
    table[label] = {
      count: s.count,
      statuses: Object.entries(s.statuses)
        .map(([k, v]) => `${k}:${v}`)
        .join(" "),
      p50_ms: round1(percentile(sorted, 50)),
      p99_ms: round1(percentile(sorted, 99)),
      max_ms: round1(sorted[sorted.length - 1] ?? null),
    };
  }
  const fiveXX = failures.filter((f) => f.status >= 500).length;
  const noAnswer = failures.filter((f) => f.status === 0).length;
  const otherFailures = failures.filter((f) => f.status === undefined).length;
  const soakSamples = memory.filter((m) => m.phase === "soak");
  const mem = {
    start_after_warmup_mb: baseline?.rss_mb ?? null,
    end_of_load_mb: endOfLoad.rss_mb,
    after_drain_mb: rssMb(pids),
    max_mb: Math.max(...memory.map((m) => m.rss_mb)),
    slope_mb_per_min: slopePerMinute(soakSamples),
    samples: memory,
  };
  // Each isolate's JS heap: after the warm-up, at the end of the load, after the drain.
  const heapStart = heaps.find((h) => h.phase === "soak")?.heap_mb ?? {};
  const heapEnd = heaps.find((h) => h.phase === "end")?.heap_mb ?? {};
  const heapDrained = await heapByIsolate(heapSessions);
  const sum = (h) => Math.round(Object.values(h).reduce((a, b) => a + b, 0) * 10) / 10;
  mem.js_heap_mb = {
    all_isolates: { after_warmup: sum(heapStart), end_of_load: sum(heapEnd), after_drain: sum(heapDrained) },
    by_isolate: Object.fromEntries(
      Object.keys(heapEnd)
        .sort((a, b) => heapEnd[b] - (heapStart[b] ?? 0) - (heapEnd[a] - (heapStart[a] ?? 0)))
        .slice(0, 8)
        .map((k) => [
          k,
          { after_warmup: heapStart[k] ?? null, end_of_load: heapEnd[k], after_drain: heapDrained[k] ?? null },
        ]),
    ),
    // Per sample: the Worker's own isolate (with its Durable Objects) and all isolates together.
    samples: heaps.map((h) => ({
      t: h.t,
      phase: h.phase,
      worker_mb: h.heap_mb["core:user:edgegram"] ?? null,
      all_isolates_mb: sum(h.heap_mb),
    })),
  };
  // The data the run wrote, on disk: workerd caches what it reads of it (SQLite pages).
  mem.stores_on_disk_mb = { after_warmup: disk0, end_of_load: disk1 };
  const growth = mem.start_after_warmup_mb === null ? null : mem.end_of_load_mb - mem.start_after_warmup_mb;
  // Flat: the end within 10% (and 50 MB) of the post-warm-up figure. Data keep growing (SQLite
  // page caches, room storage), so a small rise is expected; a leak shows as a steady slope.
  mem.growth_mb = growth === null ? null : Math.round(growth * 10) / 10;
  mem.flat = growth !== null && growth <= Math.min(50, mem.start_after_warmup_mb * 0.1);
  const sortedLags = lags.sort((a, b) => a - b);
  const status4xx = {};
  for (const s of stats.soak.values())
    for (const [k, v] of Object.entries(s.statuses)) if (k.startsWith("4")) status4xx[k] = (status4xx[k] ?? 0) + v;

  console.log("\nsoak: per request kind (after the warm-up)");
  console.table(table);
  console.log("operations started:", opCounts, `skipped (backlog over ${MAX_IN_FLIGHT}): ${skipped}`);
  console.log(
    `scheduler lag p50 ${round1(percentile(sortedLags, 50))} ms, p99 ${round1(percentile(sortedLags, 99))} ms; load ${loadSeconds.toFixed(1)} s for ${planned} ops (${(planned / loadSeconds).toFixed(1)}/s)`,
  );
  console.log(
    `5xx: ${fiveXX}; no answer: ${noAnswer}; other failures: ${otherFailures}; 4xx after warm-up:`,
    status4xx,
  );
  if (clientErrors.size > 0) console.log("4xx samples:", Object.fromEntries(clientErrors));
  for (const f of failures.slice(0, 30)) console.log("FAILED:", JSON.stringify(f));
  console.log(
    `CPU over the measured window (cores of ${cpus().length}): workerd ${cpu.workerd_cores} (+${cpu.workerd_waiting_cores} waiting for a core), ` +
      `this Node process ${cpu.node_cores} (+${cpu.node_waiting_cores}); load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
  );
  console.log("workerd log lines by level:", workerdLog.levels, "errors:", workerdLog.errors.slice(0, 10));
  console.log("socket closes by the server:", socketCloses.length, socketCloses.slice(0, 5));
  console.log("hub frames:", hubFrames);
  console.log("reconciliation:");
  console.table(
    Object.fromEntries(
      Object.entries(lost).map(([k, v]) => [k, { lost: v.count, examples: v.examples.join(", ").slice(0, 120) }]),
    ),
  );
  console.log(
    `checked: ${[...chatSent.values()].filter((m) => m.acked).length} chat messages (${chatExpectedDeliveries} deliveries), ` +
      `${[...live.sent.values()].filter((s) => s.acked).length} live comments (${liveExpectedDeliveries} deliveries), ` +
      `${expected.size} notifications, ${feedChecked} feed entries, ${media.size} uploads`,
  );
  console.log(
    `workerd RSS: ${mem.start_after_warmup_mb} MB after warm-up → ${mem.end_of_load_mb} MB at the end (${mem.growth_mb >= 0 ? "+" : ""}${mem.growth_mb} MB), ${mem.after_drain_mb} MB after the drain, max ${mem.max_mb} MB, slope ${mem.slope_mb_per_min} MB/min: ${mem.flat ? "flat" : "NOT flat"}`,
  );
  console.log("JS heap (MB, no forced GC) of all isolates:", mem.js_heap_mb.all_isolates, "largest growth:");
  console.table(mem.js_heap_mb.by_isolate);
  console.log("stores on disk (MB):", mem.stores_on_disk_mb);
  const pass = fiveXX === 0 && noAnswer === 0 && otherFailures === 0 && lostTotal === 0;
  console.log(
    pass
      ? "soak: PASS (0 5xx, nothing lost)"
      : `soak: FAIL (${fiveXX} 5xx, ${noAnswer} unanswered, ${otherFailures} other, ${lostTotal} lost)`,
  );
  if (!pass) exitCode = 1;

  const result = {
    when: new Date().toISOString(),
    pass,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? "unknown",
      load_average: loadavg(),
      node: process.version,
    },
    settings: {
      seconds: SECONDS,
      warmup_seconds: WARMUP,
      rate_ops_per_s: RATE,
      accounts_at_start: USERS,
      accounts_at_end: users.length,
      rooms: rooms.length,
      room_sockets: rooms.reduce((a, r) => a + r.seats.size, 0),
      hub_sockets: users.filter((u) => u.hub).length,
      live_sockets: live.seats.size,
      mix: MIX,
      only: process.env.SOAK_ONLY ?? null,
      seed: SEED,
    },
    setup_seconds: setupSeconds,
    load_seconds: Math.round(loadSeconds * 10) / 10,
    achieved_ops_per_s: Math.round((planned / loadSeconds) * 10) / 10,
    scheduler_lag_ms: { p50: round1(percentile(sortedLags, 50)), p99: round1(percentile(sortedLags, 99)) },
    operations_started: opCounts,
    skipped_backlog: skipped,
    requests: table,
    five_xx: fiveXX,
    unanswered: noAnswer,
    failures: failures.slice(0, 50),
    four_xx_after_warmup: status4xx,
    socket_closes: socketCloses.length,
    hub_frames: hubFrames,
    drain: { seconds: drainSeconds, counts: drainCounts },
    reconciliation: {
      lost_total: lostTotal,
      checked: {
        chat_messages: [...chatSent.values()].filter((m) => m.acked).length,
        chat_deliveries: chatExpectedDeliveries,
        live_comments: [...live.sent.values()].filter((s) => s.acked).length,
        live_deliveries: liveExpectedDeliveries,
        notifications: expected.size,
        feed_entries: feedChecked,
        uploads: media.size,
        posts: posts.length,
        comments: comments.length,
        likes: [...likes.values()].filter(Boolean).length,
        follows: follows.size,
        story_views: storyViews.size,
      },
      lost,
    },
    memory_rss: mem,
    cpu_cores: cpu,
    workerd_log: { levels: workerdLog.levels, errors: workerdLog.errors.slice(0, 20) },
  };
  // The `soak` section replaces its previous figures; the benches' sections stay as they are.
  // SOAK_RESULTS=off (the smoke test) leaves the file alone.
  if (process.env.SOAK_RESULTS !== "off") {
    const file = join(root, "bench", "results", "latest.json");
    mkdirSync(join(root, "bench", "results"), { recursive: true });
    let previous = {};
    try {
      previous = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      previous = {};
    }
    writeFileSync(file, `${JSON.stringify({ ...previous, soak: result }, null, 2)}\n`);
    console.log("written: bench/results/latest.json (soak)");
  }
  mkdirSync(join(root, "bench", "out"), { recursive: true });
  writeFileSync(join(root, "bench", "out", "soak-workerd.log"), `${workerdLog.lines.join("\n")}\n`);
  console.log("workerd's log: bench/out/soak-workerd.log");
  clearInterval(memoryTimer);
} catch (err) {
  console.error("soak: aborted:", err);
  for (const f of failures.slice(0, 30)) console.error("FAILED:", JSON.stringify(f));
  exitCode = 1;
} finally {
  closing = true;
  for (const session of heapSessions.values()) session.ws.close();
  for (const room of rooms) for (const seat of room.seats.values()) seat.ws?.close(1000, "soak done");
  for (const u of users) u.hub?.close(1000, "soak done");
  if (live) for (const seat of live.seats.values()) seat.ws?.close(1000, "soak done");
  await mf.dispose();
  cleanup();
}
process.exit(exitCode);
