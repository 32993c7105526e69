import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliverPush, type PushMessage, subscriptionIdsOf } from "../../src/features/push/push.service";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { MAX_PUSH_PAYLOAD_BYTES, webPushFor } from "../../src/platform/web-push";
import { createUser, type TestUser } from "../helpers/factories";
import { type BrowserSubscription, browserSubscription, PUSH_HOST, received, subscribe } from "../helpers/push";

const platform = platformFor(env);

const message = (overrides: Partial<PushMessage> = {}): PushMessage => ({
  title: "alice_1 liked your post",
  body: "and 3 others",
  group_key: "like:01JD0000000000000000000000",
  notification_id: "01JD0000000000000000000001",
  url: "/notifications",
  ...overrides,
});

const rowOf = (id: string) =>
  env.DB.prepare("SELECT id, last_success_at FROM push_subscriptions WHERE id = ?")
    .bind(id)
    .first<{ id: string; last_success_at: string | null }>();

let reader: TestUser;

/** A browser subscribed for the reader, answering as `behaviour` says. */
async function subscribed(behaviour = "ok"): Promise<{ sub: BrowserSubscription; id: string }> {
  const sub = await browserSubscription(behaviour);
  return { sub, id: (await subscribe(reader, sub)).id };
}

beforeAll(async () => {
  reader = await createUser();
});

afterEach(() => setClock(null));

describe("deliverPush", () => {
  it("sends an aes128gcm message the browser can decrypt, signed with a valid VAPID JWT", async () => {
    setClock({ now: () => new Date("2026-11-04T08:00:00.000Z") });
    const { sub, id } = await subscribed();
    const sent = message();
    await deliverPush(platform, id, sent);

    const [push, ...more] = await received(sub);
    expect(more).toEqual([]);
    expect(push?.problems).toEqual([]);
    expect(push?.status).toBe(201);
    expect(JSON.parse(push?.payload ?? "null")).toEqual(sent);
    expect(push?.vapid_key).toBe(env.VAPID_PUBLIC_KEY);
    expect(push?.jwt?.header).toMatchObject({ alg: "ES256" });
    expect(push?.jwt?.claims).toMatchObject({ aud: PUSH_HOST, sub: env.VAPID_SUBJECT });
    expect(push?.headers).toEqual({
      ttl: "86400",
      topic: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      urgency: "normal",
      content_encoding: "aes128gcm",
    });
    // Padded to one record: the size says nothing about the text.
    expect(push?.body_bytes).toBeLessThanOrEqual(4096);
    expect(await rowOf(id)).toEqual({ id, last_success_at: "2026-11-04T08:00:00.000Z" });
  });

  it("gives a group's pushes one topic, so a push service keeps only the latest", async () => {
    const { sub, id } = await subscribed();
    await deliverPush(platform, id, message({ group_key: "like:A", body: "1" }));
    await deliverPush(platform, id, message({ group_key: "like:A", body: "2" }));
    await deliverPush(platform, id, message({ group_key: "like:B" }));
    const topics = (await received(sub)).map((p) => p.headers.topic);
    expect(topics[0]).toBe(topics[1]);
    expect(topics[2]).not.toBe(topics[0]);
  });

  it.each(["gone", "missing"])("deletes the subscription when the push service answers %s (410, 404)", async (path) => {
    const { sub, id } = await subscribed(path);
    await deliverPush(platform, id, message());
    expect((await received(sub)).map((p) => p.status)).toEqual([path === "gone" ? 410 : 404]);
    expect(await rowOf(id)).toBeNull();
    expect(await subscriptionIdsOf(platform, reader.id)).not.toContain(id);
  });

  it.each(["flaky", "busy"])(
    "throws for a retry and keeps the subscription when the service is %s (503, 429)",
    async (path) => {
      const { sub, id } = await subscribed(path);
      await expect(deliverPush(platform, id, message())).rejects.toThrow(/failed \((503|429)\)/);
      expect((await received(sub)).map((p) => p.problems)).toEqual([[]]);
      expect(await rowOf(id)).toEqual({ id, last_success_at: null });
    },
  );

  it("gives up without throwing on a 400, and keeps the subscription", async () => {
    const { sub, id } = await subscribed("bad");
    await expect(deliverPush(platform, id, message())).resolves.toBeUndefined();
    expect((await received(sub)).map((p) => p.status)).toEqual([400]);
    expect(await rowOf(id)).toEqual({ id, last_success_at: null });
  });

  it("does not follow a redirect (to a loopback address): refused, not retried", async () => {
    const { sub, id } = await subscribed("moved");
    await expect(deliverPush(platform, id, message())).resolves.toBeUndefined();
    expect((await received(sub)).map((p) => p.status)).toEqual([307]);
    expect(await rowOf(id)).toEqual({ id, last_success_at: null });
  });

  it("does nothing for a subscription that no longer exists, or moved to another account", async () => {
    await expect(deliverPush(platform, "01JDNOSUCHSUBSCRIPTION0000", message())).resolves.toBeUndefined();
    const { sub, id } = await subscribed();
    const other = await createUser();
    await subscribe(other, sub);
    await deliverPush(platform, id, message());
    expect(await received(sub)).toEqual([]);
  });

  it("cuts an over-long text to fit the 3 KB payload, keeping the ids", async () => {
    const { sub, id } = await subscribed();
    const long = message({ title: "é".repeat(2000), body: "b".repeat(10_000) });
    await deliverPush(platform, id, long);
    const [push] = await received(sub);
    expect(push?.problems).toEqual([]);
    const payload = push?.payload ?? "";
    expect(new TextEncoder().encode(payload).byteLength).toBeLessThanOrEqual(MAX_PUSH_PAYLOAD_BYTES);
    const got = JSON.parse(payload) as PushMessage;
    expect(got).toMatchObject({ group_key: long.group_key, notification_id: long.notification_id, url: long.url });
    expect(got.title).toBe(`${"é".repeat(200)}…`);
    expect(got.body).toMatch(/^b{2000,}…$/);
  });

  it("lists a user's subscriptions, newest first", async () => {
    const user = await createUser();
    const ids = [];
    for (const [i, at] of ["2026-11-05T00:00:00.000Z", "2026-11-05T00:00:01.000Z"].entries()) {
      setClock({ now: () => new Date(at) });
      ids[i] = (await subscribe(user, await browserSubscription())).id;
    }
    expect(await subscriptionIdsOf(platform, user.id)).toEqual([ids[1], ids[0]]);
  });
});

describe("WebPush.send", () => {
  const target = (sub: BrowserSubscription) => ({ endpoint: sub.endpoint, ...sub.keys });

  it("sends exactly 3,072 bytes and refuses one more before anything goes out", async () => {
    const sub = await browserSubscription();
    await expect(platform.push.send(target(sub), "x".repeat(MAX_PUSH_PAYLOAD_BYTES), { ttl: 60 })).resolves.toEqual({
      kind: "sent",
    });
    await expect(platform.push.send(target(sub), "x".repeat(MAX_PUSH_PAYLOAD_BYTES + 1), { ttl: 60 })).rejects.toThrow(
      RangeError,
    );
    // Bytes, not characters: 1,537 two-byte characters are 3,074 bytes.
    await expect(platform.push.send(target(sub), "é".repeat(1537), { ttl: 60 })).rejects.toThrow(RangeError);
    const pushes = await received(sub);
    expect(pushes.map((p) => p.payload?.length)).toEqual([MAX_PUSH_PAYLOAD_BYTES]);
    expect(pushes[0]?.headers.ttl).toBe("60");
  });

  it("is checked for real by the fake push service: a forged JWT or a wrong secret is refused (403)", async () => {
    const sub = await browserSubscription();
    // A JWT signed by one key, presented with another as `k`.
    const b64url = (bytes: ArrayBuffer) =>
      btoa(String.fromCharCode(...new Uint8Array(bytes)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    const pair = () =>
      crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]) as Promise<CryptoKeyPair>;
    const [signer, claimed] = [await pair(), await pair()];
    const part = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer);
    const unsigned = `${part({ typ: "JWT", alg: "ES256" })}.${part({ aud: PUSH_HOST, exp: Math.floor(Date.now() / 1000) + 3600, sub: env.VAPID_SUBJECT })}`;
    const signature = await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      signer.privateKey,
      new TextEncoder().encode(unsigned),
    );
    const k = b64url((await crypto.subtle.exportKey("raw", claimed.publicKey)) as ArrayBuffer);
    const forged = await fetch(sub.endpoint, {
      method: "POST",
      headers: {
        authorization: `vapid t=${unsigned}.${b64url(signature)}, k=${k}`,
        "content-encoding": "aes128gcm",
        ttl: "60",
      },
      body: new Uint8Array(100),
    });
    expect(forged.status).toBe(403);
    // Encrypted for another auth secret than the browser's.
    const stranger = await browserSubscription();
    await expect(platform.push.send({ ...target(sub), auth: stranger.keys.auth }, "{}", { ttl: 60 })).resolves.toEqual({
      kind: "rejected",
      status: 403,
    });
    const [badJwt, badSecret] = await received(sub);
    expect(badJwt?.problems).toContain("the JWT signature does not verify against k");
    expect(badSecret?.problems).toEqual([expect.stringMatching(/^decryption failed/)]);
  });

  it("answers retry when the push service does not answer in time", async () => {
    const sub = await browserSubscription("slow");
    const impatient = webPushFor(platform.config.vapid, { timeoutMs: 100 });
    const outcome = await impatient.send(target(sub), "{}", { ttl: 60 });
    expect(outcome).toMatchObject({ kind: "retry", status: null });
  });

  it("refuses to call an endpoint the subscription checks refuse, even if one was stored", async () => {
    const sub = await browserSubscription();
    for (const endpoint of ["http://push.example.test/ok/x", "https://127.0.0.1/push", `${PUSH_HOST}:8443/ok/x`]) {
      await expect(platform.push.send({ ...target(sub), endpoint }, "{}", { ttl: 60 })).resolves.toEqual({
        kind: "rejected",
        status: 0,
      });
    }
    expect(await received(sub)).toEqual([]);
  });
});
