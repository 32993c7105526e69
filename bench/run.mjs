// `npm run bench`: bundles the bench entry (src/bench/entry.ts: the production Worker plus the
// /bench routes, which the production entry never imports) and serves it straight into workerd
// through the Miniflare API (not `wrangler dev`, whose proxy costs more CPU than a small route and
// would swamp what is measured), seeds it, and measures each route against a trivial one in the
// same run. Ratios are the figures to read; absolute numbers move with the machine. Prints a table
// and writes bench/results/latest.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { benchRoom, CHAT_PER_MESSAGE, SIZES as CHAT_SIZES } from "./chat.mjs";
import { benchCpu, cpuWorkerOptions, LIMIT_US } from "./cpu.mjs";
import { fanoutTime, reader, seedGraph } from "./feed.mjs";
import { liveRun, setUpLive } from "./live.mjs";
import { consumerThroughput, liveLatency, seedRecipient } from "./notifications.mjs";
import { searcher, seedSearch } from "./search.mjs";
import {
  CONNECTIONS,
  DURATION,
  json,
  LIVE_SECONDS,
  load,
  local,
  median,
  ROUNDS,
  readyImage,
  root,
  startWorker,
  summarise,
  TRANSFORM_SAMPLES,
} from "./worker.mjs";

async function feedOperations(url, readers) {
  const ops = async (user, fresh) =>
    (await fetch(`${url}/bench/feed-ops?user=${user.id}${fresh ? "&fresh=1" : ""}`)).json();
  const out = {};
  for (const [name, user] of Object.entries(readers)) {
    out[`${name}_kv_cold`] = await ops(user, true);
    await ops(user, false); // a plain read fills the cache (a no-cache read does not)
    out[`${name}_kv_warm`] = await ops(user, false);
  }
  return out;
}

/**
 * Feed page 1 (KV cold) at a fixed rate, quiet and then during a fan-out burst: a 10,000-follower
 * post every second (10,000 timeline rows/s, docs/scale.md's peak for 10 M daily users), each into
 * wrangler.toml's partitions with every range at once. Its p50 under the burst against its quiet
 * p50, in one run. Locally the partitions run on the Worker's own thread, so this is the harder
 * case: deployed, their writes run in other objects' threads.
 */
const BURST_EVERY_MS = 1_000;

async function feedDuringFanout(db, url, [path, headers], capacity) {
  const rate = Math.max(1, Math.round(capacity["feed p1 KV cold, 300 follows"].rps * 0.4));
  const quiet = await load(url, path, headers, rate);
  const author = await (await db.prepare("SELECT id FROM users WHERE username = 'bench_author10000'").first()).id;
  const partitions = Number((await (await fetch(`${url}/bench/fanout-partitions`)).json()).partitions);
  let running = true;
  let bursts = 0;
  let rows = 0;
  const writer = (async () => {
    while (running) {
      const post = `01JP${String(bursts).padStart(22, "0")}`;
      await db
        .prepare(
          "INSERT INTO posts (id, author_id, caption, audience, created_at, updated_at) VALUES (?1, ?2, 'burst', 'public', ?3, ?3)",
        )
        .bind(post, author, new Date().toISOString())
        .run();
      const res = await fetch(`${url}/bench/fanout`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ post_id: post, partitions }),
      });
      const done = await res.json();
      rows += done.rows;
      bursts++;
      await new Promise((r) => setTimeout(r, Math.max(0, BURST_EVERY_MS - done.ms)));
    }
  })();
  const loaded = await load(url, path, headers, rate);
  running = false;
  await writer;
  return {
    rate_rps: rate,
    quiet: { p50_ms: quiet.p50, p99_ms: quiet.p99 },
    during_burst: { p50_ms: loaded.p50, p99_ms: loaded.p99 },
    fanouts: bursts,
    rows_written: rows,
    p50_ratio: Number((loaded.p50 / Math.max(quiet.p50, 0.001)).toFixed(2)),
  };
}

async function benchFeed(mf, url) {
  const db = await mf.getD1Database("DB");
  const graph = await seedGraph(db, (line) => console.log(line), url);
  const r300 = await reader(db, json, url, 300, "bench_reader300");
  const r1000 = await reader(db, json, url, 1000, "bench_reader1000");
  const auth = (r) => ({ authorization: `Bearer ${r.token}` });
  const fresh = (r) => ({ ...auth(r), "cache-control": "no-cache" });
  const routes = {
    "trivial /livez": ["/livez", {}],
    "one D1 read /healthz": ["/healthz", {}],
    "naive pull, 300 follows": [`/bench/naive-feed?user=${r300.id}`, {}],
    "feed p1 KV cold, 300 follows": ["/v1/feed", fresh(r300)],
    "feed p1 KV warm, 300 follows": ["/v1/feed", auth(r300)],
    "naive pull, 1000 follows": [`/bench/naive-feed?user=${r1000.id}`, {}],
    "feed p1 KV cold, 1000 follows": ["/v1/feed", fresh(r1000)],
    "feed p1 KV warm, 1000 follows": ["/v1/feed", auth(r1000)],
  };
  for (const [path, headers] of Object.values(routes)) await (await fetch(`${url}${path}`, { headers })).arrayBuffer();
  const rounds = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [path, headers]] of Object.entries(routes)) rounds[name].push(await load(url, path, headers));
  }
  const capacity = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, summarise(v)]));
  // Latency at a fixed rate (40% of capacity), apart from capacity: p99 at saturation measures GC.
  const fixedRate = {};
  for (const name of ["feed p1 KV cold, 300 follows", "feed p1 KV cold, 1000 follows", "naive pull, 1000 follows"]) {
    const [path, headers] = routes[name];
    const rate = Math.max(1, Math.round(capacity[name].rps * 0.4));
    const r = await load(url, path, headers, rate);
    fixedRate[name] = { rate_rps: rate, p50_ms: r.p50, p99_ms: r.p99 };
  }
  const ratio = (a, b) => Number((capacity[a].rps / capacity[b].rps).toFixed(3));
  const fanout = [
    await fanoutTime(db, json, url, 1_000, "bench_author1000"),
    await fanoutTime(db, json, url, 10_000, "bench_author10000"),
  ];
  const burst = await feedDuringFanout(db, url, routes["feed p1 KV cold, 300 follows"], capacity);
  return {
    graph,
    readers: { follows_300: r300.follows, follows_1000: r1000.follows },
    capacity,
    fixed_rate_latency: fixedRate,
    ratios: {
      feed_cold_300_vs_naive_300: ratio("feed p1 KV cold, 300 follows", "naive pull, 300 follows"),
      feed_cold_1000_vs_naive_1000: ratio("feed p1 KV cold, 1000 follows", "naive pull, 1000 follows"),
      feed_cold_300_vs_one_d1_read: ratio("feed p1 KV cold, 300 follows", "one D1 read /healthz"),
      feed_warm_300_vs_one_d1_read: ratio("feed p1 KV warm, 300 follows", "one D1 read /healthz"),
      feed_cold_300_vs_trivial: ratio("feed p1 KV cold, 300 follows", "trivial /livez"),
    },
    // Counted by /bench/feed-ops (a counting D1 wrapper around the same readFeed): they do not
    // vary with noise, so they are the regression gate.
    operations_per_page1: await feedOperations(url, { r300, r1000 }),
    rows_read_breakdown_r300: await (await fetch(`${url}/bench/feed-rows?user=${r300.id}`)).json(),
    fanout,
    feed_during_fanout_burst: burst,
  };
}

async function benchChat(mf, url) {
  const db = await mf.getD1Database("DB");
  const trivial = [];
  for (let round = 0; round < ROUNDS; round++) trivial.push(await load(url, "/livez"));
  const rooms = [];
  for (const size of CHAT_SIZES) {
    console.log(`chat: a room of ${size}…`);
    rooms.push(await benchRoom(db, json, url, size, { seconds: DURATION, rounds: ROUNDS }));
  }
  return {
    trivial_route: summarise(trivial),
    rooms,
    goal: {
      members: 100,
      deliveries_per_s_min: 20_000,
      p99_ms_max_at_40_percent: 50,
      met: rooms
        .filter((r) => r.members >= 100)
        .map((r) => ({
          members: r.members,
          deliveries: r.capacity.deliveries_per_s >= 20_000,
          p99: r.fixed_rate.latency_ms.p99 !== null && r.fixed_rate.latency_ms.p99 <= 50,
          nothing_lost: r.fixed_rate.lost === 0,
        })),
    },
    // Read off chat-room.ts: per message, SQLite statements in the room, socket sends (one
    // serialised frame, sent to every socket), hub RPCs (gathered per member over a window), D1.
    per_message_operations: CHAT_PER_MESSAGE,
  };
}

async function benchLive(mf, url) {
  const db = await mf.getD1Database("DB");
  const setup = await setUpLive(db, json, url);
  const before = summarise([await load(url, "/livez")]);
  const run = await liveRun(url, setup, LIVE_SECONDS);
  const { close, ...figures } = run;
  await close();
  // Ending the session closes whatever is still open in the room.
  await json(url, `/v1/live/${setup.sessionId}/end`, {}, setup.hostToken);
  const after = summarise([await load(url, "/livez")]);
  return {
    trivial_route_before: before,
    trivial_route_after: after,
    ...figures,
    goal: {
      p99_ms_max: 300,
      met: figures.lost === 0 && figures.latency_ms.p99 !== null && figures.latency_ms.p99 <= 300,
    },
  };
}

/** A plain photo for posts that need an image. */
function benchPhoto() {
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function benchNotifications(mf, url) {
  const db = await mf.getD1Database("DB");
  const seeded = await seedRecipient(db, json, url, readyImage, await benchPhoto());
  const consumer = await consumerThroughput(url, seeded);
  const auth = { authorization: `Bearer ${seeded.recipient.token}` };
  const routes = {
    "trivial /livez": ["/livez", {}],
    "notifications list, 20 groups": ["/v1/notifications?limit=20", auth],
    "unread count": ["/v1/notifications/unread_count", auth],
  };
  const rounds = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [path, headers]] of Object.entries(routes)) rounds[name].push(await load(url, path, headers));
  }
  const capacity = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, summarise(v)]));
  const ratio = (a, b) => Number((capacity[a].rps / capacity[b].rps).toFixed(3));
  return {
    consumer,
    capacity,
    ratios: {
      list_vs_trivial: ratio("notifications list, 20 groups", "trivial /livez"),
      unread_count_vs_trivial: ratio("unread count", "trivial /livez"),
    },
    live_delivery: await liveLatency(json, url, seeded),
  };
}

async function benchSearch(mf, url) {
  const db = await mf.getD1Database("DB");
  const graph = await seedGraph(db, (line) => console.log(line));
  const seeded = await seedSearch(db, graph, (line) => console.log(line));
  const who = await searcher(db, json, url, "bench_searcher");
  const auth = { authorization: `Bearer ${who.token}` };
  const routes = {
    "trivial /livez": ["/livez", {}],
    "one D1 read /healthz": ["/healthz", {}],
    "accounts, prefix 'bench_u12'": ["/v1/search?type=accounts&q=bench_u12", auth],
    "accounts, substring 'u123'": ["/v1/search?type=accounts&q=u123", auth],
    "tags, prefix 'su'": ["/v1/search?type=tags&q=su", auth],
    "posts, 'sunset'": ["/v1/search?type=posts&q=sunset", auth],
    "posts, 'cafe' (diacritics)": ["/v1/search?type=posts&q=cafe", auth],
    "explore page 1 (scored, not stored)": [`/bench/explore?user=${who.id}`, {}],
  };
  for (const [path, headers] of Object.values(routes)) {
    const res = await fetch(`${url}${path}`, { headers });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const rounds = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [path, headers]] of Object.entries(routes)) rounds[name].push(await load(url, path, headers));
  }
  const capacity = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, summarise(v)]));
  const vs = (name) => ({
    vs_trivial: Number((capacity[name].rps / capacity["trivial /livez"].rps).toFixed(3)),
    vs_one_d1_read: Number((capacity[name].rps / capacity["one D1 read /healthz"].rps).toFixed(3)),
  });
  const explorePage = await (await fetch(`${url}/bench/explore?user=${who.id}`)).json();
  return {
    seeded: { ...graph, ...seeded },
    capacity,
    ratios: Object.fromEntries(
      Object.keys(routes)
        .slice(2)
        .map((k) => [k, vs(k)]),
    ),
    explore_page1_items: explorePage.items,
  };
}

const only = process.env.BENCH_ONLY;
// The CPU run needs its own Worker settings (the inspector, limiters lifted, the dev mailbox), so it
// runs only on its own: BENCH_ONLY=cpu.
const { mf, url, cleanup } = await startWorker(only === "cpu" ? cpuWorkerOptions : {});
const results = { when: new Date().toISOString() };
try {
  if (only === "cpu") {
    results.cpu = await benchCpu(mf, url, (line) => console.log(line));
    const c = results.cpu;
    console.log(
      `\nCPU per request (µs; ${c.measured_requests} measured after ${c.warm_up_requests} warm-ups; sampler period ${c.effective_period_us} µs)`,
    );
    console.table(
      Object.fromEntries(
        c.operations.map((r) => [
          `${r.method} ${r.path}${r.variant ? ` (${r.variant})` : ""}`,
          {
            cpu_us: r.cpu_us,
            gc_us: r.gc_us,
            do_us: r.durable_object_us,
            note: r.hashes_password ? "password hashing" : r.over_2ms ? `OVER ${LIMIT_US} µs` : "",
          },
        ]),
      ),
    );
    for (const [name, f] of Object.entries(c.feed_page1)) {
      console.log(`\nfeed page 1, ${name}: ${f.cpu_us} µs; profile: ${f.profile}`);
      console.table(f.by_category);
      console.table(f.top_functions);
    }
    if (c.over_2ms.length) console.log(`\nover ${LIMIT_US} µs (not password hashing): ${c.over_2ms.join(", ")}`);
    if (c.not_measured.length) {
      console.error(
        `\nNOT MEASURED (${c.not_measured.length} of ${c.operations_in_document} operations have no builder):`,
      );
      for (const o of c.not_measured) console.error(`  ${o.operationId}  ${o.method} ${o.path}`);
      process.exitCode = 1;
    } else console.log(`\nall ${c.operations_in_document} operations measured`);
  }
  if (!only || only === "chat") {
    results.chat = await benchChat(mf, url);
    console.log(
      `\nchat: one group room per size, every member on a WebSocket (trivial route ${results.chat.trivial_route.rps} req/s)`,
    );
    console.table(
      Object.fromEntries(
        results.chat.rooms.map((r) => [
          `${r.members} members`,
          {
            "messages/s": r.capacity.messages_per_s,
            "deliveries/s": r.capacity.deliveries_per_s,
            "at 40%: msgs/s": r.fixed_rate.rate_messages_per_s,
            "p50 ms": r.fixed_rate.latency_ms.p50,
            "p99 ms": r.fixed_rate.latency_ms.p99,
            lost: r.fixed_rate.lost,
            "client loop p99 ms (max)": Math.max(
              r.fixed_rate.client_event_loop_delay_ms.main_p99,
              ...r.fixed_rate.client_event_loop_delay_ms.member_threads_p99,
            ),
            "workerd cores (cap / 40%)": `${r.capacity.median_round.cpu_cores.workerd} / ${r.fixed_rate.cpu_cores.workerd}`,
            "node cores (cap / 40%)": `${r.capacity.median_round.cpu_cores.node_process} / ${r.fixed_rate.cpu_cores.node_process}`,
          },
        ]),
      ),
    );
    console.log("goal (≥ 20,000 deliveries/s, p99 ≤ 50 ms at 40%, nothing lost):", results.chat.goal.met);
  }
  if (!only || only === "live") {
    results.live = await benchLive(mf, url);
    const l = results.live;
    console.log(
      `\nlive: one room, ${l.viewers} viewers and ${l.commenters} commenters on WebSockets, ${l.rate_per_s} comments/s for ${l.send_seconds} s`,
    );
    console.table({
      "trivial route /livez before (req/s)": { value: l.trivial_route_before.rps },
      "trivial route /livez after (req/s)": { value: l.trivial_route_after.rps },
      "comments sent": { value: l.comments_sent },
      "comments stored (seen by a commenter)": { value: l.comments_stored },
      "deliveries expected (sent × viewers)": { value: l.expected_deliveries },
      deliveries: { value: l.deliveries },
      "deliveries per s": { value: l.deliveries_per_s },
      lost: { value: l.lost },
      "latency p50 (ms)": { value: l.latency_ms.p50 },
      "latency p99 (ms)": { value: l.latency_ms.p99 },
      "latency max (ms)": { value: l.latency_ms.max },
      "deliveries over 300 ms": { value: l.latency_ms.over_300 },
      "send → room, p50 / p99 (ms)": { value: `${l.legs_ms.send_to_room.p50} / ${l.legs_ms.send_to_room.p99}` },
      "room → first viewer, p50 / p99 (ms)": {
        value: `${l.legs_ms.room_to_first_viewer.p50} / ${l.legs_ms.room_to_first_viewer.p99}`,
      },
      "first → last viewer, p50 / p99 (ms)": {
        value: `${l.legs_ms.first_to_last_viewer.p50} / ${l.legs_ms.first_to_last_viewer.p99}`,
      },
      "comment frames per viewer per s": { value: l.frames_per_viewer_per_s.comment },
      "all frames per viewer per s": { value: l.frames_per_viewer_per_s.all },
    });
    console.log(
      "join:",
      l.join,
      "extensions:",
      l.websocket_extensions,
      "frame errors:",
      l.frame_errors,
      l.first_errors,
    );
    console.log("CPU (cores):", l.cpu_cores, "client event-loop delay:", l.client_event_loop_delay_ms);
    console.log("load average (1 min) after the run:", loadavg()[0]);
    console.log(`goal p99 ≤ 300 ms, none lost: ${l.goal.met ? "met" : "missed"}`);
  }
  if (!only || only === "feed") {
    results.feed = await benchFeed(mf, url);
    console.log("\nhome feed");
    console.table(results.feed.capacity);
    console.log("latency at a fixed rate:");
    console.table(results.feed.fixed_rate_latency);
    console.log("ratios:", results.feed.ratios);
    console.log("operations per page 1:");
    console.table(results.feed.operations_per_page1);
    console.log("rows read, page 1 KV cold (300 follows), by part:");
    console.table(results.feed.rows_read_breakdown_r300);
    for (const f of results.feed.fanout) {
      console.log(
        `fan-out to ${f.followers} followers: through the queue ${f.delivered_ms_through_queue} ms (${f.rows_per_s_through_queue} rows/s); direct, by partitions:`,
      );
      console.table(f.direct_by_partitions);
    }
    console.log("feed p1 KV cold during fan-out bursts:", results.feed.feed_during_fanout_burst);
  }
  if (!only || only === "notifications") {
    results.notifications = await benchNotifications(mf, url);
    console.log("\nnotifications");
    console.log("consumer:", results.notifications.consumer);
    console.table(results.notifications.capacity);
    console.log("ratios:", results.notifications.ratios);
    console.log("like → frame on the author's socket:", results.notifications.live_delivery);
  }
  if (!only || only === "search") {
    results.search = await benchSearch(mf, url);
    console.log("\nsearch and explore");
    console.table(results.search.capacity);
    console.log("ratios:");
    console.table(results.search.ratios);
  }
  if (!only || only === "media") {
    const name = `bench_${Date.now().toString(36)}`;
    const session = await json(url, "/v1/auth/signup", {
      username: name,
      email: `${name}@example.com`,
      password: "bench password",
    });
    const token = session.access_token;
    const photo = await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: { r: 90, g: 140, b: 200 } },
    })
      .composite([
        {
          input: Buffer.from('<svg width="800" height="600"><circle cx="400" cy="300" r="250" fill="orange"/></svg>'),
          top: 300,
          left: 400,
        },
      ])
      .jpeg({ quality: 85 })
      .toBuffer();

    // First-request transform time: a new variant each time (fresh media, one size × format).
    const firstRequest = { "image/avif": [], "image/webp": [], "image/jpeg": [] };
    for (let i = 0; i < TRANSFORM_SAMPLES; i++) {
      const media = await readyImage(url, token, photo);
      for (const format of Object.keys(firstRequest)) {
        const started = performance.now();
        const res = await fetch(local(url, media.urls.large), { headers: { accept: format } });
        await res.arrayBuffer();
        if (res.headers.get("content-type") !== format) throw new Error(`expected ${format}`);
        firstRequest[format].push(performance.now() - started);
      }
    }

    // Cached-variant throughput against the trivial route, interleaved, median of 3.
    const media = await readyImage(url, token, photo);
    const variant = new URL(local(url, media.urls.small));
    const variantPath = `${variant.pathname}${variant.search}`;
    await (await fetch(`${url}${variantPath}`, { headers: { accept: "image/webp" } })).arrayBuffer();
    const rounds = { trivial: [], d1: [], variant: [] };
    for (let round = 0; round < ROUNDS; round++) {
      rounds.trivial.push(await load(url, "/livez"));
      rounds.d1.push(await load(url, "/healthz"));
      rounds.variant.push(await load(url, variantPath, { accept: "image/webp" }));
    }
    const trivial = summarise(rounds.trivial);
    const oneRead = summarise(rounds.d1);
    const cached = summarise(rounds.variant);
    results.media_delivery = {
      first_request_ms_median: Object.fromEntries(
        Object.entries(firstRequest).map(([format, times]) => [format, Math.round(median(times))]),
      ),
      trivial_route: trivial,
      one_d1_read_route: oneRead,
      cached_variant: cached,
      cached_variant_vs_trivial: Number((cached.rps / trivial.rps).toFixed(3)),
      // A cached variant costs one R2 get and an HMAC check; no D1 round trip.
      cached_variant_operations: { d1_queries: 0, r2_gets: 1, images_transforms: 0 },
    };
    console.log("\nmedia delivery (1600×1200 JPEG upload, 'large' = 1080 px)");
    console.log("first request, new variant (median ms):", results.media_delivery.first_request_ms_median);
    console.table({
      "trivial route /livez": trivial,
      "one D1 read /healthz": oneRead,
      "cached variant (small, webp)": cached,
    });
    console.log(`cached variant / trivial route: ${results.media_delivery.cached_variant_vs_trivial}`);
  }
  results.machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? "unknown",
    load_average_1m: loadavg()[0],
    node: process.version,
  };
  results.settings = {
    duration_s: DURATION,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    transform_samples: TRANSFORM_SAMPLES,
    live_seconds: LIVE_SECONDS,
    websocket_compression: process.env.BENCH_WS_COMPRESSION === "on" ? "deflate (flag removed)" : "off (wrangler.toml)",
  };
  // Each section keeps the machine it was measured on: a partial run replaces only its own.
  for (const [key, section] of Object.entries(results)) {
    if (!["when", "machine", "settings"].includes(key) && section && typeof section === "object") {
      section.machine = { ...results.machine, when: results.when };
    }
  }
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  // A partial run (BENCH_ONLY) replaces its own section and keeps the others' latest figures.
  const file = join(root, "bench", "results", "latest.json");
  let previous = {};
  try {
    previous = only ? JSON.parse(readFileSync(file, "utf8")) : {};
  } catch {
    previous = {};
  }
  writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  console.log("written: bench/results/latest.json");
} finally {
  await mf.dispose();
  cleanup();
}
