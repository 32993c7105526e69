// The Worker's own CPU time, from a V8 CPU profile of its isolate taken through workerd's inspector
// (the Chrome DevTools protocol over WebSocket). Why a profile and not workerd's accounting: a tail
// worker's trace reports `cpuTime: 0` and `wallTime: 0` under local workerd (measured with this
// workerd: the figure is filled in only by Cloudflare's runtime).
//
// How the samples become microseconds: V8's sampler records a sample only while the thread holds
// the isolate's lock (workerd uses v8::Locker), so samples fall only in the Worker's own work: never
// in D1's SQLite (another isolate and service), the HTTP server, or idle time. The sampler ticks at
// the requested interval plus the timer's slack (about 120 µs for 50 µs here), so a sample stands
// for one effective period, measured from the profiles themselves: the median gap between
// consecutive samples inside busy stretches (`effectivePeriod`). What it measures is time holding
// the lock, which on a shared machine includes any moment the thread was preempted while holding
// it. Checks on this machine: /healthz per request agrees within 2% at 50 and 100 µs intervals;
// workerd's thread CPU (/proc/<pid>/task) per /livez request moves by less than its noise with the
// profiler on (its cost is on V8's own profiler thread); and login, which is one PBKDF2 of 100,000
// iterations plus a few D1 calls, measures 14.7 ms at a load of 7 on 2 cores against 13.2 ms of CPU
// for Node's pbkdf2Sync of the same iterations on the same machine.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const INTERVAL_US = 50;

export async function connectInspector(mf, name = "edgegram") {
  const base = String(await mf.getInspectorURL()).replace(/\/$/, "");
  const ws = new WebSocket(`${base}/core:user:${name}`);
  let id = 0;
  const pending = new Map();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = message.id !== undefined ? pending.get(message.id) : undefined;
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
    else waiter.resolve(message.result);
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const i = ++id;
      pending.set(i, { resolve, reject, method });
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  return {
    start: () => send("Profiler.start"),
    stop: async () => (await send("Profiler.stop")).profile,
    close: () => ws.close(),
  };
}

/** Maps a line of the bundle to the source module esbuild put there (its `// path` markers). */
export function bundleMap(root) {
  const lines = readFileSync(join(root, "bench", "out", "bundle", "entry.js"), "utf8").split("\n");
  const markers = [];
  lines.forEach((line, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(line);
    if (m) markers.push([i, m[1]]);
  });
  return (lineNumber) => {
    let lo = 0;
    let hi = markers.length - 1;
    let found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (markers[mid][0] <= lineNumber) {
        found = markers[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

const NATIVE_JSON = new Set(["parse", "stringify"]);

/** The file of a frame: a bundle module, a workerd-internal module, or "" for V8 natives. */
function frameFile(frame, moduleAt) {
  if (frame.url.endsWith("entry.js")) return moduleAt(frame.lineNumber) ?? "bundle";
  return frame.url;
}

/**
 * Where a sample's time goes, for the top-costs table: rules that name the purpose wherever they
 * are on the stack (URL signing, password hashing, JWT), then the nearest frame to the leaf that
 * belongs to a known library or layer.
 */
function category(stack) {
  const files = stack.map((f) => f.file);
  if (files.some((f) => f.includes("features/media/signed-urls"))) return "URL signing (HMAC)";
  if (files.some((f) => f.includes("features/auth/password"))) return "password hashing (PBKDF2)";
  if (files.some((f) => f.includes("node_modules/jose") || f.includes("features/auth/tokens")))
    return "access token (JWT verify)";
  for (const f of stack) {
    if (f.file === "" && NATIVE_JSON.has(f.name)) return "JSON parse/stringify";
    // After its `await`, hmacSha256 runs with no caller on the stack: in the feed that is URL signing.
    if (f.file.includes("platform/crypto")) return "HMAC/SHA-256 (platform/crypto.ts, caller lost after an await)";
    if (f.file.includes("node_modules/drizzle-orm")) return "SQL building (drizzle)";
    if (/node_modules\/(zod|@hono\/zod)|platform\/zod/.test(f.file)) return "zod validation";
    if (f.file.includes("node_modules/hono")) return "hono routing/middleware";
    if (/d1/i.test(f.file) || f.file.includes("platform/db")) return "D1 binding calls";
    if (/kv/i.test(f.file) || f.file.includes("platform/cache")) return "KV binding calls";
    if (f.file.startsWith("src/")) return `app code (${f.file.split("/").slice(1, 3).join("/")})`;
    if (f.file.startsWith("node_modules/")) return `library (${f.file.split("/")[1]})`;
    if (f.file !== "") return `workerd runtime (${f.file})`;
  }
  return "V8 natives";
}

/**
 * Splits a profile's samples: `request` (the fetch handler, plus the samples V8 cannot place:
 * "(program)", the collector), `durable_object` and `queue` (consumers of this or an earlier
 * request's jobs, which run in the same isolate); idle samples are dropped. With `detail`, also the
 * request samples by category and by function.
 */
export function analyse(profile, moduleAt, detail = false) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stacks = new Map();
  const stackOf = (id) => {
    let stack = stacks.get(id);
    if (stack) return stack;
    stack = [];
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at).callFrame;
      if (frame.functionName === "(root)") break;
      stack.push({ name: frame.functionName, file: frameFile(frame, moduleAt), line: frame.lineNumber });
    }
    stacks.set(id, stack);
    return stack;
  };
  const counts = { request: 0, durable_object: 0, queue: 0, idle: 0 };
  const categories = {};
  const functions = {};
  for (const id of profile.samples) {
    const stack = stackOf(id);
    const leaf = stack[0]?.name ?? "";
    if (leaf === "(idle)") {
      counts.idle++;
      continue;
    }
    const files = stack.map((f) => f.file);
    const where = files.some((f) => f.startsWith("src/queues/"))
      ? "queue"
      : files.some((f) => f.startsWith("src/durable-objects/"))
        ? "durable_object"
        : "request";
    counts[where]++;
    if (!detail || where !== "request") continue;
    const c = leaf.startsWith("(") ? leaf : category(stack);
    categories[c] = (categories[c] ?? 0) + 1;
    const fn = leaf.startsWith("(") ? leaf : `${leaf || "(anonymous)"} ${stack[0].file || "(native)"}`;
    functions[fn] = (functions[fn] ?? 0) + 1;
  }
  return { counts, categories, functions, gaps: busyGaps(profile) };
}

/** Gaps between consecutive samples short enough to lie inside one busy stretch. */
function busyGaps(profile) {
  return profile.timeDeltas.slice(1).filter((d) => d > 0 && d < INTERVAL_US * 4);
}

/** The sampler's real period: the median gap inside busy stretches, pooled over a run's profiles. */
export function effectivePeriod(gaps) {
  if (gaps.length < 50) return null;
  const sorted = [...gaps].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
