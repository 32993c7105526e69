// What a bench client and workerd spend while a run is measured, read from the OS (Linux /proc;
// none elsewhere), so a slow client or a busy machine is not blamed on the code under test: shared
// by the chat and live benches and the soak.
// Kept apart from worker.mjs, which loads Miniflare, so the live bench's viewer threads can import it.
import { readdirSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** The pids of workerd: the Miniflare children of this process (Linux /proc; none elsewhere). */
export function workerdPids() {
  const pids = [];
  try {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        // After the command: state, then ppid.
        if (
          stat.slice(stat.indexOf("(") + 1, close).startsWith("workerd") &&
          Number(stat.slice(close + 2).split(" ")[1]) === process.pid
        )
          pids.push(pid);
      } catch {
        // Gone meanwhile.
      }
    }
  } catch {
    // No /proc.
  }
  return pids;
}

/** Resident memory (VmRSS) of `pids` together, in MB (0 when /proc cannot tell). */
export function rssMb(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // Gone meanwhile.
    }
  }
  return Math.round(kb / 102.4) / 10;
}

/**
 * CPU run time and run-queue wait (seconds) summed over the threads of `pid` ("self" for Node):
 * /proc/<pid>/task/<tid>/schedstat. The wait is time the threads were ready but another process
 * had the core: on a shared 2-core machine, the part of a delay that is neither client nor room.
 */
export function schedstat(pid) {
  try {
    let run = 0;
    let wait = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const [r, w] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
      run += r / 1e9;
      wait += w / 1e9;
    }
    return { run, wait };
  } catch {
    return null;
  }
}

export function schedOf(pids) {
  const all = pids.map(schedstat).filter((x) => x !== null);
  if (all.length === 0) return null;
  return all.reduce((a, b) => ({ run: a.run + b.run, wait: a.wait + b.wait }), { run: 0, wait: 0 });
}

/** CPU seconds (user + system) of the calling thread, or of the process where threads cannot tell. */
export function threadCpu() {
  const u = typeof process.threadCpuUsage === "function" ? process.threadCpuUsage() : process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * User and system (kernel) CPU seconds of the processes `pids`, from /proc/<pid>/stat (clock ticks,
 * 100 a second on Linux). A socket's send on loopback runs the whole TCP path, the receiving side's
 * included, in the kernel on the sender's account: the system share is that, not the code.
 */
export function userSystem(pids) {
  let user = 0;
  let system = 0;
  let any = false;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command: state is field 3, utime field 14, stime field 15 (1-based).
      user += Number(fields[11]) / 100;
      system += Number(fields[12]) / 100;
      any = true;
    } catch {
      // Gone meanwhile.
    }
  }
  return any ? { user, system } : null;
}

/**
 * A bench client thread running `moduleUrl` with `workerData`, and a way to wait for its next
 * message of a type (`next`) or to send one and wait for the answer (`ask`): the chat and live
 * benches spread their receiving sockets over such threads, so the client is not the bottleneck.
 */
export function startThread(moduleUrl, workerData) {
  const worker = new Worker(moduleUrl, { workerData });
  const waiters = new Map();
  worker.on("message", (msg) => {
    const w = waiters.get(msg.type);
    if (w) {
      waiters.delete(msg.type);
      w.resolve(msg);
    }
  });
  worker.on("error", (err) => {
    for (const w of waiters.values()) w.reject(err);
    waiters.clear();
  });
  const next = (type) => new Promise((resolve, reject) => waiters.set(type, { resolve, reject }));
  const ask = async (msg, answer) => {
    const reply = next(answer);
    worker.postMessage(msg);
    return reply;
  };
  return { worker, next, ask };
}
