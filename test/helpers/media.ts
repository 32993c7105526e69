import { exports } from "cloudflare:workers";
import { expect, inject } from "vitest";
import { api } from "./api";
import type { TestUser } from "./factories";

export function fixture(name: string): Uint8Array {
  const b64 = inject("imageFixtures")[name];
  if (b64 === undefined) throw new Error(`no fixture ${name}`);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export interface MediaBody {
  id: string;
  status: string;
  content_type: string | null;
  byte_size: number | null;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  urls: Record<"thumb" | "small" | "medium" | "large", string> | null;
}

export async function startUpload(user: TestUser, contentType: string, byteSize: number) {
  const res = await api("POST", "/v1/media", {
    token: user.accessToken,
    body: { content_type: contentType, byte_size: byteSize },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as {
    media_id: string;
    upload_url: string;
    upload_headers: Record<string, string>;
    expires_at: string;
  };
}

/** PUT to an upload URL the way a client would (the URL is absolute, on this Worker). */
export function put(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  return exports.default.fetch(new Request(url, { method: "PUT", body, headers }));
}

export async function uploadAndComplete(user: TestUser, bytes: Uint8Array, contentType = "image/jpeg") {
  const ticket = await startUpload(user, contentType, bytes.length);
  const stored = await put(ticket.upload_url, bytes, ticket.upload_headers);
  expect(stored.status, await stored.clone().text()).toBe(204);
  const complete = await api("POST", `/v1/media/${ticket.media_id}/complete`, { token: user.accessToken });
  return { ticket, complete };
}

/** Waits for the media job (run by the local queue consumer) to finish. */
export async function waitReady(user: TestUser, id: string, timeoutMs = 15_000): Promise<MediaBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api("GET", `/v1/media/${id}`, { token: user.accessToken });
    const body = (await res.json()) as MediaBody;
    if (body.status === "ready" || body.status === "failed" || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const contains = (haystack: Uint8Array, needle: string) => {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= haystack.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
};
