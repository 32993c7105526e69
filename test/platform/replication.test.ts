import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { REPLICA_MAX_STALENESS_MS } from "../../src/http/middleware/d1-session";
import worker from "../../src/index";
import { setClock } from "../../src/platform/clock";
import { api } from "../helpers/api";
import { createUser } from "../helpers/factories";

/*
 * D1 read replication through the Sessions API (docs/replication.md): every request runs in one
 * D1 session, its bookmark goes back in `x-d1-bookmark` (a signed token: the bookmark and when its
 * session last started at the primary), a client sending it back reads its own writes, a token
 * over the staleness bound starts at the primary again, and the requests that must see the latest
 * state start their session at the primary.
 * Local D1 has one instance, so where a query is served cannot be seen here; what can be seen is
 * where each request asks D1 to start (a recording binding, below) and that the bookmark chain
 * carries a write into the next read.
 */

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}\.\d{13}\.[A-Za-z0-9_-]{22}$/;
const bookmarkOf = (token: string) => token.split(".")[0];

afterEach(() => setClock(null));

interface Recorded {
  /** Each `withSession` argument, in order. */
  starts: (string | undefined)[];
  /** `prepare`/`batch` calls made through a session, and straight on the binding. */
  inSession: number;
  direct: number;
}

/** The real local D1 binding, recording where sessions start and which calls go through them. */
function recordingEnv(): { env: Env; recorded: Recorded } {
  const recorded: Recorded = { starts: [], inSession: 0, direct: 0 };
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "withSession") {
        return (start?: string) => {
          recorded.starts.push(start);
          const session = target.withSession(start);
          return new Proxy(session, {
            get(s, p) {
              if (p === "prepare" || p === "batch") recorded.inSession++;
              const value = Reflect.get(s, p);
              return typeof value === "function" ? value.bind(s) : value;
            },
          });
        };
      }
      if (prop === "prepare" || prop === "batch") recorded.direct++;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  // A new env object: the platform is built for it (platformFor caches per env), over this binding.
  return { env: { ...env, DB: db } as Env, recorded };
}

async function send(
  target: Env,
  method: string,
  path: string,
  init: { token?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
    target,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("the D1 session bookmark", () => {
  it("is on every response of a request that touched D1: a D1 bookmark, a time and a MAC", async () => {
    const res = await api("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
    // An error answer after a D1 read carries it too.
    const user = await createUser();
    const missing = await api("GET", "/v1/users/no_such_user_here", { token: user.accessToken });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
  });

  it("sent back, starts the next request there and comes back at least as new", async () => {
    const first = (await api("GET", "/healthz")).headers.get("x-d1-bookmark") ?? "";
    const res = await api("GET", "/healthz", { headers: { "x-d1-bookmark": first } });
    expect(res.status).toBe(200);
    const next = res.headers.get("x-d1-bookmark") ?? "";
    expect(next).toMatch(BOOKMARK);
    // Bookmarks sort oldest to newest (D1's glossary).
    expect(next >= first).toBe(true);
    // A request that makes no D1 call hands the client's bookmark back unchanged.
    const livez = await api("GET", "/livez", { headers: { "x-d1-bookmark": next } });
    expect(livez.headers.get("x-d1-bookmark")).toBe(next);
  });

  it("carries a write into the next read: the writer reads its own write", async () => {
    const user = await createUser();
    const written = await api("PATCH", "/v1/me", { token: user.accessToken, body: { display_name: "Bookmarked" } });
    expect(written.status).toBe(200);
    const bookmark = written.headers.get("x-d1-bookmark") ?? "";
    expect(bookmark).toMatch(BOOKMARK);
    const read = await api("GET", "/v1/me", { token: user.accessToken, headers: { "x-d1-bookmark": bookmark } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { display_name: string }).display_name).toBe("Bookmarked");
    expect((read.headers.get("x-d1-bookmark") ?? "") >= bookmark).toBe(true);
  });

  it("malformed or forged, is ignored: the request is answered from the primary with a good one", async () => {
    const good = (await api("GET", "/healthz")).headers.get("x-d1-bookmark") ?? "";
    const [bookmark, time, mac] = good.split(".");
    const forged = [
      // A later time on a real bookmark, and a bare D1 bookmark without our MAC.
      `${bookmark}.${Number(time) + 60_000}.${mac}`,
      `${bookmark}`,
      `${"f".repeat(8)}-${"f".repeat(8)}-${"f".repeat(8)}-${"0".repeat(32)}.${time}.${mac}`,
    ];
    for (const bad of ["garbage", "00000000-0000001a", ...forged]) {
      const { env: recording, recorded } = recordingEnv();
      const res = await send(recording, "GET", "/healthz", { headers: { "x-d1-bookmark": bad } });
      expect(res.status, bad).toBe(200);
      expect(res.headers.get("x-d1-bookmark"), bad).toMatch(BOOKMARK);
      // Never passed to D1: the session started at the primary instead.
      expect(recorded.starts, bad).toEqual(["first-primary"]);
      expect(res.headers.get("x-d1-bookmark"), bad).not.toBe(bad);
    }
  });

  it("is allowed and exposed by CORS, and documented on every operation", async () => {
    const origin = "http://localhost:3000";
    const preflight = await api("OPTIONS", "/v1/feed", {
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "x-d1-bookmark" },
    });
    expect(preflight.headers.get("access-control-allow-headers") ?? "").toContain("x-d1-bookmark");
    const res = await api("GET", "/healthz", { headers: { origin } });
    expect(res.status).toBe(200);
    const user = await createUser();
    const feed = await api("GET", "/v1/feed", { token: user.accessToken, headers: { origin } });
    expect(feed.headers.get("access-control-expose-headers") ?? "").toContain("x-d1-bookmark");

    const doc = (await (await api("GET", "/openapi.json")).json()) as {
      components: { parameters: Record<string, { in: string; name: string }>; headers: Record<string, unknown> };
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { $ref?: string }[]; responses: Record<string, { headers?: Record<string, unknown> }> }
        >
      >;
    };
    expect(doc.components.parameters.XD1Bookmark).toMatchObject({ in: "header", name: "x-d1-bookmark" });
    expect(doc.components.headers.XD1Bookmark).toBeDefined();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(
          op.parameters?.map((p) => p.$ref),
          `${method} ${path}`,
        ).toContain("#/components/parameters/XD1Bookmark");
        for (const [status, response] of Object.entries(op.responses)) {
          expect(response.headers?.["x-d1-bookmark"], `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
  });
});

describe("where a request's D1 session starts", () => {
  it("reads start at the primary without a token, then at the token's bookmark (a replica at least that new)", async () => {
    const user = await createUser();
    const { env: recording, recorded } = recordingEnv();
    const feed = await send(recording, "GET", "/v1/feed", { token: user.accessToken });
    expect(feed.status).toBe(200);
    const token = feed.headers.get("x-d1-bookmark") ?? "";
    const again = await send(recording, "GET", `/v1/users/${user.username}`, {
      token: user.accessToken,
      headers: { "x-d1-bookmark": token },
    });
    expect(again.status).toBe(200);
    expect(recorded.starts).toEqual(["first-primary", bookmarkOf(token)]);
    // Reading at a replica does not make the token fresher: it keeps the time its session last
    // started at the primary.
    expect((again.headers.get("x-d1-bookmark") ?? "").split(".")[1]).toBe(token.split(".")[1]);
    // Every query of those requests (the session check included) went through their session.
    expect(recorded.inSession).toBeGreaterThan(0);
    expect(recorded.direct).toBe(0);
  });

  it("a token over the staleness bound starts the read at the primary again, and is renewed", async () => {
    const user = await createUser();
    const { env: recording, recorded } = recordingEnv();
    const start = Date.now();
    const token =
      (await send(recording, "GET", "/v1/feed", { token: user.accessToken })).headers.get("x-d1-bookmark") ?? "";
    const at = (ms: number) => setClock({ now: () => new Date(start + ms) });
    at(REPLICA_MAX_STALENESS_MS - 1_000);
    const within = await send(recording, "GET", "/v1/feed", {
      token: user.accessToken,
      headers: { "x-d1-bookmark": token },
    });
    at(REPLICA_MAX_STALENESS_MS + 1_000);
    const over = await send(recording, "GET", "/v1/feed", {
      token: user.accessToken,
      headers: { "x-d1-bookmark": token },
    });
    expect([within.status, over.status]).toEqual([200, 200]);
    expect(recorded.starts).toEqual(["first-primary", bookmarkOf(token), "first-primary"]);
    const renewed = over.headers.get("x-d1-bookmark") ?? "";
    expect(Number(renewed.split(".")[1])).toBeGreaterThan(Number(token.split(".")[1]));
  });

  it("image delivery tolerates any replica: it starts unconstrained and answers no token", async () => {
    const { env: recording, recorded } = recordingEnv();
    const res = await send(
      recording,
      "GET",
      "/media/01ARZ3NDEKTSV4RRFFQ69G5FAV/01ARZ3NDEKTSV4RRFFQ69G5FAV/small?exp=1&sig=x",
    );
    expect(res.status).toBe(404);
    expect(recorded.starts).toEqual(["first-unconstrained"]);
  });

  it("writes start at the primary, whatever bookmark the client sends", async () => {
    const user = await createUser();
    const { env: recording, recorded } = recordingEnv();
    const bookmark = (await api("GET", "/healthz")).headers.get("x-d1-bookmark") ?? "";
    for (const [method, path, body] of [
      ["PATCH", "/v1/me", { bio: "primary" }],
      ["POST", "/v1/me/sessions/revoke-others", undefined],
    ] as const) {
      const res = await send(recording, method, path, {
        token: user.accessToken,
        body,
        headers: { "x-d1-bookmark": bookmark },
      });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
    }
    expect(recorded.starts).toEqual(["first-primary", "first-primary"]);
  });

  it("reads that cannot tolerate a replica start at the primary, even with a bookmark", async () => {
    const user = await createUser();
    const { env: recording, recorded } = recordingEnv();
    const bookmark = (await api("GET", "/healthz")).headers.get("x-d1-bookmark") ?? "";
    const headers = { "x-d1-bookmark": bookmark };
    // The session list, the account's export, staff routes (404 to a non-staff caller) and the
    // development mailbox.
    expect((await send(recording, "GET", "/v1/me/sessions", { token: user.accessToken, headers })).status).toBe(200);
    expect((await send(recording, "GET", "/v1/me/export", { token: user.accessToken, headers })).status).toBe(404);
    expect((await send(recording, "GET", "/v1/admin/reports", { token: user.accessToken, headers })).status).toBe(404);
    expect((await send(recording, "GET", `/dev/mailbox?to=${user.email}`, { headers })).status).toBe(200);
    // A socket upgrade (refused here for its unknown ticket, after the session began).
    const upgrade = await send(recording, "GET", "/v1/realtime?ticket=nope", {
      headers: { ...headers, upgrade: "websocket" },
    });
    expect(upgrade.status).toBeGreaterThanOrEqual(400);
    expect(recorded.starts).toEqual(Array(5).fill("first-primary"));
  });

  it("the queue consumer opens no session: its queries go to the binding itself, which is the primary", async () => {
    const { env: recording, recorded } = recordingEnv();
    // A body no job schema accepts: the consumer records it in failed_jobs (a D1 write) and acks it.
    const batch = createMessageBatch("edgegram-mail", [
      { id: "replication-1", timestamp: new Date(), attempts: 1, body: { type: "no.such.job" } },
    ]);
    await worker.queue(batch, recording);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.retryMessages).toEqual([]);
    expect(recorded.starts).toEqual([]);
    expect(recorded.inSession).toBe(0);
    expect(recorded.direct).toBeGreaterThan(0);
  });

  it("the crons open no session: their queries go to the binding itself, which is the primary", async () => {
    const { env: recording, recorded } = recordingEnv();
    for (const cron of ["* * * * *", "17 * * * *"]) {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), recording, ctx);
      await waitOnExecutionContext(ctx);
    }
    expect(recorded.starts).toEqual([]);
    expect(recorded.inSession).toBe(0);
    expect(recorded.direct).toBeGreaterThan(0);
  });
});
