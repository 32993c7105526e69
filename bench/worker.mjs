// The bench's plumbing, shared by `npm run bench` (run.mjs) and `npm run soak` (soak.mjs): it
// bundles the bench entry (src/bench/entry.ts: the production Worker plus the /bench routes, which
// the production entry never imports) and serves it straight into workerd through the Miniflare
// API (not `wrangler dev`, whose proxy costs more CPU than a small route and would swamp what is
// measured), with migrations applied.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { generateVapidKeys } from "../scripts/vapid-keys.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The Miniflare copy inside wrangler, so the workerd version matches what `wrangler dev` runs.
const { Miniflare, convertV4MiniflareOptions } = await import(
  join(root, "node_modules/wrangler/node_modules/miniflare/dist/src/index.js")
);

// The Worker the bench serves: the same wrangler.toml (bindings, Durable Objects, queues) with this
// entry in place of `main`; wrangler names the bundled script after it.
const ENTRY = "src/bench/entry.ts";
const SCRIPT = "entry.js";

export const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
/** The live room's run: longer than the others, so its p99 rests on more than a few hundred comments. */
export const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
export const ROUNDS = 3;
export const CONNECTIONS = 10;
export const TRANSFORM_SAMPLES = Number(process.env.BENCH_TRANSFORMS ?? 8);

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * `bindings` override or add to wrangler.toml's and .dev.vars.example's (a setting a run measures).
 * `inspect` (or `inspector`) opens workerd's V8 inspector on a free port (bench/cpu.mjs profiles
 * the Worker's isolate through it; `mf.getInspectorURL()`). `split` serves the same script three
 * times, so each has an isolate of its own, as in production: `edgegram` answers requests,
 * `edgegram-objects` holds the Durable Objects, `edgegram-consumer` consumes the queues (a profile
 * of `edgegram` then holds request work only). `unlimited` lifts every Rate Limiting binding (a run
 * that repeats one call per account, such as login, measures the call, not the limiter's 429).
 * `onLog` receives workerd's structured log lines ({level, message}) instead of the console.
 */
export async function startWorker({
  bindings = {},
  inspect = false,
  inspector = false,
  split = false,
  unlimited = false,
  onLog = undefined,
} = {}) {
  const out = mkdtempSync(join(tmpdir(), "edgegram-bench-"));
  // The bundle stays under the project: workerd resolves module paths from the project root.
  const bundle = join(root, "bench", "out", "bundle");
  rmSync(bundle, { recursive: true, force: true });
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", bundle, ENTRY], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const vapid = generateVapidKeys();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const devVars = Object.fromEntries(
    readFileSync(join(root, ".dev.vars.example"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => {
        const i = l.indexOf("=");
        return [l.slice(0, i), l.slice(i + 1).replace(/^"|"$/g, "")];
      }),
  );
  const worker = {
    ...workerOptions,
    modulesRules: undefined,
    ...(unlimited
      ? {
          ratelimits: Object.fromEntries(
            Object.entries(workerOptions.ratelimits ?? {}).map(([name, limiter]) => [
              name,
              { ...limiter, simple: { ...limiter.simple, limit: 1_000_000 } },
            ]),
          ),
        }
      : {}),
    // Locally, an assets config routes every request through the asset router worker, even
    // on the direct socket: ~600 µs of CPU each, ten times a trivial route. The benchmarked
    // routes serve no assets, so the bench runs without them.
    assets: undefined,
    name: "edgegram",
    // wrangler.toml turns WebSocket compression off (`no_web_socket_compression`); Node's
    // WebSocket, like a browser, offers permessage-deflate. BENCH_WS_COMPRESSION=on measures
    // the Worker without that flag, every frame deflated once per socket.
    compatibilityFlags:
      process.env.BENCH_WS_COMPRESSION === "on"
        ? (workerOptions.compatibilityFlags ?? []).filter((f) => f !== "no_web_socket_compression")
        : workerOptions.compatibilityFlags,
    modules: true,
    scriptPath: join(bundle, SCRIPT),
    bindings: {
      ...workerOptions.bindings,
      ...devVars,
      // .dev.vars.example holds no VAPID pair (each machine makes its own): a throwaway one.
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      // The room's capacity, not the per-connection frame limit (see bench/chat.mjs).
      CHAT_FRAME_BURST: "1000000",
      CHAT_FRAMES_PER_SECOND: "1000000",
      ...bindings,
    },
  };
  const OBJECTS = "edgegram-objects";
  const bound = Object.fromEntries(
    Object.entries(workerOptions.durableObjects ?? {}).map(([name, object]) => [
      name,
      { ...object, scriptName: OBJECTS },
    ]),
  );
  const direct = { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };
  const workers = split
    ? [
        { ...worker, ...direct, durableObjects: bound, queueConsumers: undefined },
        { ...worker, name: OBJECTS, queueConsumers: undefined },
        { ...worker, name: "edgegram-consumer", durableObjects: bound },
      ]
    : [{ ...worker, ...direct }];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers,
      ...(onLog ? { handleStructuredLogs: onLog } : {}),
      ...(inspect || inspector ? { inspectorPort: 0 } : {}),
      // Miniflare 4 reads one root for every store (the per-store `d1Persist`… of v3 are dropped
      // silently by convertV4MiniflareOptions, and the stores then went to Miniflare's own tmp).
      resourcePersistencePath: out,
    }),
  );
  await mf.ready;
  const url = await mf.unsafeGetDirectURL();
  // Migrations, as wrangler applies them.
  const db = await mf.getD1Database("DB");
  const dir = join(root, "migrations");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    for (const statement of readFileSync(join(dir, file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) await db.prepare(statement).run();
    }
  }
  return {
    mf,
    url: url.toString().replace(/\/$/, ""),
    // Where D1, KV, R2 and the Durable Objects persist (the soak reports their size on disk).
    storage: out,
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

export async function json(url, path, body, token) {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  // Sign-up answers 202 "check your email" without a session (README "Accounts"): the benches
  // sign in right after, and get the session a sign-up used to return.
  if (path === "/v1/auth/signup") return json(url, "/v1/auth/login", { login: body.username, password: body.password });
  return res.json();
}

export async function readyImage(url, token, bytes) {
  const ticket = await json(url, "/v1/media", { content_type: "image/jpeg", byte_size: bytes.length }, token);
  const put = await fetch(ticket.upload_url.replace(/^https?:\/\/[^/]+/, url), { method: "PUT", body: bytes });
  if (put.status !== 204) throw new Error(`upload: ${put.status}`);
  await json(url, `/v1/media/${ticket.media_id}/complete`, {}, token);
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/v1/media/${ticket.media_id}`, { headers: { authorization: `Bearer ${token}` } });
    const media = await res.json();
    if (media.status === "ready") return media;
    if (media.status === "failed") throw new Error("media processing failed");
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("media never became ready");
}

export const local = (url, signed) => signed.replace(/^https?:\/\/[^/]+/, url);

export async function load(url, path, headers = {}, overallRate = undefined) {
  const result = await autocannon({
    url: `${url}${path}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
    overallRate,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

export const summarise = (list) => ({
  rps: Math.round(median(list.map((r) => r.rps))),
  p50_ms: median(list.map((r) => r.p50)),
  p99_ms: median(list.map((r) => r.p99)),
});
