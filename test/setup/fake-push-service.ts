/**
 * A fake Web Push service, run in Node as Miniflare's `outboundService`: every `fetch` the Worker
 * (and the tests, which share its isolate) makes leaves through here. Requests to
 * https://push.example.test/ are answered as a push service would after checking them the way a
 * real one does (RFC 8292 VAPID JWT and key, RFC 8291 aes128gcm body decrypted with the
 * subscription's private key); anything else is passed on to the network unchanged.
 *
 *   POST /__register/<id>   {d, auth}: the subscription's private key (JWK `d`) and auth secret
 *   GET  /__received/<id>   what the pushes to any `/<behaviour>/<id>` endpoint carried, in order
 *   POST /<behaviour>/<id>  a push: `gone` 410, `missing` 404, `flaky` 503, `busy` 429, `bad` 400,
 *                           `moved` 307 to a loopback URL, `slow` answers after 2 s, else 201
 */
import { createECDH, webcrypto } from "node:crypto";
import { createRequire } from "node:module";
import { fetch, type Request, Response } from "miniflare";

export const FAKE_PUSH_HOST = "push.example.test";

interface Decrypter {
  decrypt(buffer: Buffer, params: { version: "aes128gcm"; privateKey: unknown; authSecret: string }): Buffer;
}
const ece = createRequire(import.meta.url)("http_ece") as Decrypter;

export interface ReceivedPush {
  path: string;
  /** Every check that failed; empty when the push was well-formed. */
  problems: string[];
  jwt: { header: unknown; claims: Record<string, unknown> } | null;
  vapid_key: string | null;
  headers: { ttl: string | null; topic: string | null; urgency: string | null; content_encoding: string | null };
  body_bytes: number;
  /** The decrypted payload, as text. */
  payload: string | null;
  status: number;
}

const keys = new Map<string, { d: string; auth: string }>();
const received = new Map<string, ReceivedPush[]>();

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

function decodeJson(part: string | undefined): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** RFC 8292 §2–3: `vapid t=<JWT>, k=<public key>`, ES256 over the JWT, aud = origin, exp ≤ 24 h. */
async function checkVapid(request: Request, push: ReceivedPush): Promise<void> {
  const auth = request.headers.get("authorization") ?? "";
  const match = /^vapid t=([A-Za-z0-9_.-]+), k=([A-Za-z0-9_-]+)$/.exec(auth);
  if (!match) {
    push.problems.push(`authorization is not "vapid t=…, k=…": ${auth}`);
    return;
  }
  const [, token = "", key = ""] = match;
  push.vapid_key = key;
  const [h, c, s] = token.split(".");
  const header = decodeJson(h);
  const claims = decodeJson(c);
  if (!header || !claims || !s) {
    push.problems.push("the JWT is malformed");
    return;
  }
  push.jwt = { header, claims };
  if (header.alg !== "ES256") push.problems.push(`JWT alg is ${String(header.alg)}`);
  const raw = Buffer.from(key, "base64url");
  if (raw.length !== 65 || raw[0] !== 4) push.problems.push("k is not an uncompressed P-256 point");
  else {
    const publicKey = await webcrypto.subtle.importKey("raw", raw, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    const ok = await webcrypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      publicKey,
      Buffer.from(s, "base64url"),
      Buffer.from(`${h}.${c}`),
    );
    if (!ok) push.problems.push("the JWT signature does not verify against k");
  }
  const origin = new URL(request.url).origin;
  if (claims.aud !== origin) push.problems.push(`aud is ${String(claims.aud)}, not ${origin}`);
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now || claims.exp > now + 86_400) {
    push.problems.push(`exp ${String(claims.exp)} is not within the next 24 hours`);
  }
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub)) {
    push.problems.push(`sub ${String(claims.sub)} is not a mailto: or https: URL`);
  }
}

function statusFor(behaviour: string): number {
  const byBehaviour: Record<string, number> = { gone: 410, missing: 404, flaky: 503, busy: 429, bad: 400, moved: 307 };
  return byBehaviour[behaviour] ?? 201;
}

async function handlePush(request: Request, behaviour: string, id: string): Promise<Response> {
  const url = new URL(request.url);
  const body = Buffer.from(await request.arrayBuffer());
  const push: ReceivedPush = {
    path: url.pathname,
    problems: [],
    jwt: null,
    vapid_key: null,
    headers: {
      ttl: request.headers.get("ttl"),
      topic: request.headers.get("topic"),
      urgency: request.headers.get("urgency"),
      content_encoding: request.headers.get("content-encoding"),
    },
    body_bytes: body.length,
    payload: null,
    status: 0,
  };
  await checkVapid(request, push);
  if (push.headers.content_encoding !== "aes128gcm") push.problems.push("content-encoding is not aes128gcm");
  if (!/^\d+$/.test(push.headers.ttl ?? "")) push.problems.push("no TTL header");
  if (body.length > 4096) push.problems.push(`body is ${body.length} bytes, over 4096`);
  const key = keys.get(id);
  if (!key) push.problems.push(`no keys registered for ${id}`);
  else {
    try {
      const ecdh = createECDH("prime256v1");
      ecdh.setPrivateKey(Buffer.from(key.d, "base64url"));
      push.payload = ece
        .decrypt(body, { version: "aes128gcm", privateKey: ecdh, authSecret: key.auth })
        .toString("utf8");
    } catch (err) {
      push.problems.push(`decryption failed: ${String(err)}`);
    }
  }
  // A real service refuses what it cannot authenticate (403) or read (400).
  push.status = push.problems.length > 0 ? 403 : statusFor(behaviour);
  received.set(id, [...(received.get(id) ?? []), push]);
  if (behaviour === "slow") await new Promise((resolve) => setTimeout(resolve, 2000));
  // `moved`: a redirect to a loopback address, which the sender must not follow.
  const headers = push.status === 307 ? { location: "http://127.0.0.1:9/internal" } : undefined;
  return new Response(null, { status: push.status, headers });
}

export async function fakePushService(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname !== FAKE_PUSH_HOST) return fetch(request);
  const [, first = "", id = ""] = url.pathname.split("/");
  if (first === "__register" && request.method === "POST") {
    keys.set(id, (await request.json()) as { d: string; auth: string });
    return json({ ok: true });
  }
  if (first === "__received" && request.method === "GET") return json(received.get(id) ?? []);
  if (request.method === "POST" && id !== "") return handlePush(request, first, id);
  return json({ error: "not a push endpoint" }, 404);
}
