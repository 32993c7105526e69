/**
 * A fake Cloudflare Stream API (live inputs), run in Node behind Miniflare's `outboundService`:
 * `https://stream.example.test/client/v4/accounts/<account>/stream/live_inputs[/<uid>]` answers as
 * Stream's REST API does (the `{success, errors, result}` envelope; bearer token checked). The
 * account `acct-down` answers 500. `GET /__inputs/<uid>` shows an input's state to the tests.
 */
import { type Request, Response } from "miniflare";

export const FAKE_STREAM_HOST = "stream.example.test";
export const FAKE_STREAM_TOKEN = "stream-test-token-0123456789";

interface Input {
  uid: string;
  enabled: boolean;
  meta: unknown;
}
const inputs = new Map<string, Input>();

const envelope = (result: unknown, status = 200) =>
  new Response(
    JSON.stringify({
      success: status < 400,
      errors: status < 400 ? [] : [{ code: status, message: String(result) }],
      messages: [],
      result: status < 400 ? result : null,
    }),
    {
      status,
      headers: { "content-type": "application/json" },
    },
  );

export async function fakeStream(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts[0] === "__inputs") return envelope(inputs.get(parts[1] ?? "") ?? null);
  // client / v4 / accounts / <account> / stream / live_inputs [/ <uid>]
  const [, , , account = "", , resource, uid] = parts;
  if (resource !== "live_inputs") return envelope("not found", 404);
  if (request.headers.get("authorization") !== `Bearer ${FAKE_STREAM_TOKEN}`)
    return envelope("Authentication error", 401);
  if (account === "acct-down") return envelope("Internal error", 500);
  if (request.method === "POST" && uid === undefined) {
    const body = (await request.json()) as { meta?: unknown };
    const id = crypto.randomUUID().replaceAll("-", "");
    inputs.set(id, { uid: id, enabled: true, meta: body.meta ?? null });
    return envelope(
      {
        uid: id,
        rtmps: { url: "rtmps://live.cloudflare.com:443/live/", streamKey: `key-${id}` },
        srt: { url: "srt://live.cloudflare.com:778", streamId: `sid-${id}`, passphrase: `pass-${id}` },
        webRTC: { url: `https://customer-test.cloudflarestream.com/${id}/webRTC/publish` },
        webRTCPlayback: { url: `https://customer-test.cloudflarestream.com/${id}/webRTC/play` },
      },
      201,
    );
  }
  const input = inputs.get(uid ?? "");
  if (!input) return envelope("Live input not found", 404);
  if (request.method === "PUT") {
    const body = (await request.json()) as { enabled?: boolean };
    if (typeof body.enabled === "boolean") input.enabled = body.enabled;
    return envelope(input);
  }
  return envelope("method not allowed", 405);
}
