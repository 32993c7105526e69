import { expect } from "vitest";
import type { ReceivedPush } from "../setup/fake-push-service";
import { api } from "./api";
import type { TestUser } from "./factories";

/** The fake push service's host (test/setup/fake-push-service.ts, Miniflare's outboundService). */
export const PUSH_HOST = "https://push.example.test";

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** Where the fake push service files what this endpoint received. */
  inbox: string;
}

/**
 * What `PushManager.subscribe()` gives a browser: an endpoint at the fake push service and a
 * fresh P-256 key pair and auth secret. The private half is handed to the fake service only, so
 * it can decrypt what is pushed, as the browser would. `behaviour` picks how the endpoint answers.
 */
export async function browserSubscription(behaviour = "ok"): Promise<BrowserSubscription> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const raw = (await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const auth = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const inbox = crypto.randomUUID();
  const res = await fetch(`${PUSH_HOST}/__register/${inbox}`, {
    method: "POST",
    body: JSON.stringify({ d: jwk.d, auth }),
  });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return { endpoint: `${PUSH_HOST}/${behaviour}/${inbox}`, keys: { p256dh: b64url(raw), auth }, inbox };
}

/** Everything the fake push service received for this subscription, oldest first. */
export async function received(sub: BrowserSubscription): Promise<ReceivedPush[]> {
  return (await (await fetch(`${PUSH_HOST}/__received/${sub.inbox}`)).json()) as ReceivedPush[];
}

export interface SubscriptionBody {
  id: string;
  endpoint: string;
  created_at: string;
}

/** Subscribes `sub` for `user` through the API and returns the answer's body. */
export async function subscribe(user: TestUser, sub: BrowserSubscription, status = 201): Promise<SubscriptionBody> {
  const res = await api("POST", "/v1/push/subscriptions", {
    token: user.accessToken,
    body: { endpoint: sub.endpoint, keys: sub.keys },
  });
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as SubscriptionBody;
}
