import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { api, expectProblem } from "../helpers/api";
import { createUser, type TestUser } from "../helpers/factories";
import {
  type BrowserSubscription,
  browserSubscription,
  PUSH_HOST,
  type SubscriptionBody,
  subscribe,
} from "../helpers/push";

interface Row {
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: string;
  last_success_at: string | null;
}

const rowsOf = async (userId: string) =>
  (await env.DB.prepare("SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY id").bind(userId).all<Row>())
    .results;
const rowAt = (endpoint: string) =>
  env.DB.prepare("SELECT * FROM push_subscriptions WHERE endpoint = ?").bind(endpoint).first<Row>();
/** Every stored subscription, so a refused request can be shown to have changed nothing. */
const allRows = async () => (await env.DB.prepare("SELECT * FROM push_subscriptions ORDER BY id").all<Row>()).results;

let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  [alice, bob] = await Promise.all([createUser(), createUser()]);
});

afterEach(() => setClock(null));

describe("GET /v1/push/vapid-public-key", () => {
  it("answers the configured public key to anyone", async () => {
    const res = await api("GET", "/v1/push/vapid-public-key");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ public_key: env.VAPID_PUBLIC_KEY });
  });
});

describe("POST /v1/push/subscriptions", () => {
  it("subscribes a browser: 201 with the subscription, stored for the caller", async () => {
    setClock({ now: () => new Date("2026-11-02T10:00:00.000Z") });
    const sub = await browserSubscription();
    const body = await subscribe(alice, sub);
    expect(body).toEqual({ id: expect.any(String), endpoint: sub.endpoint, created_at: "2026-11-02T10:00:00.000Z" });
    expect(await rowAt(sub.endpoint)).toEqual({
      id: body.id,
      user_id: alice.id,
      endpoint: sub.endpoint,
      p256dh: sub.keys.p256dh,
      auth: sub.keys.auth,
      created_at: "2026-11-02T10:00:00.000Z",
      last_success_at: null,
    });
  });

  it("answers 200 and refreshes the keys when the endpoint is already the caller's", async () => {
    const sub = await browserSubscription();
    const first = await subscribe(alice, sub);
    const fresh = await browserSubscription();
    const again = await subscribe(alice, { ...fresh, endpoint: sub.endpoint }, 200);
    expect(again).toEqual(first);
    expect(await rowAt(sub.endpoint)).toMatchObject({ id: first.id, p256dh: fresh.keys.p256dh, auth: fresh.keys.auth });
  });

  it("stores padded keys in their unpadded spelling", async () => {
    const sub = await browserSubscription();
    await subscribe(alice, { ...sub, keys: { p256dh: `${sub.keys.p256dh}=`, auth: `${sub.keys.auth}==` } });
    expect(await rowAt(sub.endpoint)).toMatchObject({ p256dh: sub.keys.p256dh, auth: sub.keys.auth });
  });

  it("moves an endpoint subscribed by another account to the caller, under a new id", async () => {
    const sub = await browserSubscription();
    const bobs = await subscribe(bob, sub);
    await env.DB.prepare("UPDATE push_subscriptions SET last_success_at = '2026-11-01T00:00:00.000Z' WHERE id = ?")
      .bind(bobs.id)
      .run();
    const alices = await subscribe(alice, sub, 201);
    expect(alices.id).not.toBe(bobs.id);
    const rows = (await allRows()).filter((r) => r.endpoint === sub.endpoint);
    expect(rows).toEqual([expect.objectContaining({ id: alices.id, user_id: alice.id, last_success_at: null })]);
  });

  it("keeps at most 10 per account: the 11th drops the oldest", async () => {
    const carol = await createUser();
    const start = Date.parse("2026-11-03T00:00:00.000Z");
    const subs: { sub: BrowserSubscription; body: SubscriptionBody }[] = [];
    for (let i = 0; i < 11; i++) {
      setClock({ now: () => new Date(start + i * 1000) });
      const sub = await browserSubscription();
      subs.push({ sub, body: await subscribe(carol, sub) });
    }
    const rows = await rowsOf(carol.id);
    expect(rows).toHaveLength(10);
    expect(rows.map((r) => r.endpoint).sort()).toEqual(
      subs
        .slice(1)
        .map((s) => s.sub.endpoint)
        .sort(),
    );
    // Refreshing one of the ten drops nothing.
    const [, second] = subs;
    if (!second) throw new Error("no second subscription");
    await subscribe(carol, second.sub, 200);
    expect(await rowsOf(carol.id)).toHaveLength(10);
  });

  describe("refuses bad input with 422 problem+json, changing nothing", () => {
    const good = {
      p256dh: "BDU-Sy6SYWIli9YxfAqlEporN36UZa0P2SA-HDqE96Ger5G8bGJpO8PuGW1WPFfsZDPvnYkMbQlL5Z2LwCU4LHk",
      auth: "q8uQwK1l3sRW0n6o3Ecw5A",
    };
    const b64url = (bytes: Uint8Array) =>
      btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    const offCurve = new Uint8Array(65).fill(1);
    offCurve[0] = 4;

    it.each([
      ["an http endpoint", { endpoint: "http://push.example.test/ok/x", keys: good }, "endpoint"],
      ["a loopback IPv4 endpoint", { endpoint: "https://127.0.0.1/push", keys: good }, "endpoint"],
      ["a loopback IPv4 in decimal", { endpoint: "https://2130706433/push", keys: good }, "endpoint"],
      ["a loopback IPv6 endpoint", { endpoint: "https://[::1]/push", keys: good }, "endpoint"],
      ["an IPv4-mapped loopback", { endpoint: "https://[::ffff:127.0.0.1]/push", keys: good }, "endpoint"],
      ["a private IPv4 endpoint", { endpoint: "https://10.0.0.8/push", keys: good }, "endpoint"],
      ["a private 192.168 endpoint", { endpoint: "https://192.168.0.1/push", keys: good }, "endpoint"],
      ["the metadata address", { endpoint: "https://169.254.169.254/latest", keys: good }, "endpoint"],
      ["a link-local IPv6 endpoint", { endpoint: "https://[fe80::1]/push", keys: good }, "endpoint"],
      ["a unique-local IPv6 endpoint", { endpoint: "https://[fd00::1]/push", keys: good }, "endpoint"],
      ["localhost", { endpoint: "https://localhost/push", keys: good }, "endpoint"],
      ["a .internal name", { endpoint: "https://metadata.google.internal/push", keys: good }, "endpoint"],
      ["port 8443", { endpoint: `${PUSH_HOST}:8443/ok/x`, keys: good }, "endpoint"],
      ["credentials in the URL", { endpoint: "https://u:p@push.example.test/ok/x", keys: good }, "endpoint"],
      [
        "an endpoint over 1,000 characters",
        { endpoint: `${PUSH_HOST}/ok/${"x".repeat(1000)}`, keys: good },
        "endpoint",
      ],
      ["not a URL", { endpoint: "push me", keys: good }, "endpoint"],
      [
        "a p256dh of 64 bytes",
        { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, p256dh: good.p256dh.slice(0, -2) } },
        "keys.p256dh",
      ],
      [
        "a p256dh of 66 bytes",
        { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, p256dh: `${good.p256dh}AA` } },
        "keys.p256dh",
      ],
      [
        "a p256dh off the curve",
        { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, p256dh: b64url(offCurve) } },
        "keys.p256dh",
      ],
      [
        "an auth of 15 bytes",
        { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, auth: b64url(new Uint8Array(15)) } },
        "keys.auth",
      ],
      [
        "an auth of 32 bytes",
        { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, auth: b64url(new Uint8Array(32)) } },
        "keys.auth",
      ],
      ["an unknown field", { endpoint: `${PUSH_HOST}/ok/x`, keys: good, expirationTime: null }, "expirationTime"],
      ["an unknown key field", { endpoint: `${PUSH_HOST}/ok/x`, keys: { ...good, extra: "x" } }, "keys.extra"],
      ["no keys", { endpoint: `${PUSH_HOST}/ok/x` }, "keys"],
    ])("%s", async (_label, body, path) => {
      const before = await allRows();
      const res = await api("POST", "/v1/push/subscriptions", { token: alice.accessToken, body });
      const problem = await expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(path);
      expect(await allRows()).toEqual(before);
    });

    it("keeps the stored keys when a refresh of an existing endpoint is refused", async () => {
      const sub = await browserSubscription();
      await subscribe(alice, sub);
      const before = await allRows();
      const res = await api("POST", "/v1/push/subscriptions", {
        token: alice.accessToken,
        body: { endpoint: sub.endpoint, keys: { ...sub.keys, auth: b64url(new Uint8Array(8)) } },
      });
      await expectProblem(res, 422, "validation_failed");
      expect(await allRows()).toEqual(before);
    });

    it("answers 401 without a token", async () => {
      const sub = await browserSubscription();
      const before = await allRows();
      const res = await api("POST", "/v1/push/subscriptions", { body: { endpoint: sub.endpoint, keys: sub.keys } });
      await expectProblem(res, 401, "unauthorized");
      expect(await allRows()).toEqual(before);
    });
  });
});

describe("DELETE /v1/push/subscriptions", () => {
  it("unsubscribes the caller's own endpoint: 204, then 404", async () => {
    const sub = await browserSubscription();
    await subscribe(alice, sub);
    const res = await api("DELETE", "/v1/push/subscriptions", {
      token: alice.accessToken,
      body: { endpoint: sub.endpoint },
    });
    expect(res.status).toBe(204);
    expect(await rowAt(sub.endpoint)).toBeNull();
    const again = await api("DELETE", "/v1/push/subscriptions", {
      token: alice.accessToken,
      body: { endpoint: sub.endpoint },
    });
    await expectProblem(again, 404, "not_found");
  });

  it("answers 404 for someone else's endpoint, and an unknown one, and keeps them", async () => {
    const sub = await browserSubscription();
    await subscribe(bob, sub);
    const before = await allRows();
    for (const endpoint of [sub.endpoint, `${PUSH_HOST}/ok/never-subscribed`]) {
      const res = await api("DELETE", "/v1/push/subscriptions", { token: alice.accessToken, body: { endpoint } });
      await expectProblem(res, 404, "not_found");
    }
    expect(await allRows()).toEqual(before);
  });

  it.each([
    ["no token", undefined, { endpoint: `${PUSH_HOST}/ok/x` }, 401, "unauthorized"],
    ["an unknown field", "alice", { endpoint: `${PUSH_HOST}/ok/x`, keys: {} }, 422, "validation_failed"],
    ["no endpoint", "alice", {}, 422, "validation_failed"],
    ["an endpoint over 1,000 characters", "alice", { endpoint: "x".repeat(1001) }, 422, "validation_failed"],
  ])("refuses %s, changing nothing", async (_label, who, body, status, code) => {
    const sub = await browserSubscription();
    await subscribe(alice, sub);
    const before = await allRows();
    const res = await api("DELETE", "/v1/push/subscriptions", {
      token: who === "alice" ? alice.accessToken : undefined,
      body,
    });
    await expectProblem(res, status, code);
    expect(await allRows()).toEqual(before);
  });
});
