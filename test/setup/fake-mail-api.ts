/**
 * A fake Resend-compatible email API, run in Node as part of Miniflare's `outboundService`
 * (vitest.config.ts). `POST https://mail.example.test/<behaviour>/emails` with a Bearer key and
 * `{from, to, subject, text, html}`: `ok` answers 200 with an id, `down` 503, `refuse` 422.
 * `GET /__received` lists what was posted (with the authorization header), in order.
 */
import { type Request, Response } from "miniflare";

export const FAKE_MAIL_HOST = "mail.example.test";

const received: { path: string; authorization: string | null; body: unknown }[] = [];

export async function fakeMailApi(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === "GET" && url.pathname === "/__received") return Response.json(received);
  const body = await request.json().catch(() => null);
  received.push({ path: url.pathname, authorization: request.headers.get("authorization"), body });
  if (url.pathname.startsWith("/down/")) return new Response("unavailable", { status: 503 });
  if (url.pathname.startsWith("/refuse/")) return Response.json({ message: "invalid" }, { status: 422 });
  return Response.json({ id: `msg_${received.length}` });
}
