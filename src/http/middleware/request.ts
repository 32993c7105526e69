import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { platformFor } from "../../platform";
import { newId } from "../../platform/ids";
import { ApiError } from "../errors";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * First middleware: a request id on every response (reused from the caller when it is sane, so a
 * client or proxy can correlate), and the parsed configuration. A broken configuration fails
 * closed here, before any handler can sign or hash with it. The platform (every binding behind its
 * interface, built once per isolate) is what handlers pass to services.
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : newId();
  c.set("requestId", requestId);
  c.set("caller", null);
  try {
    const platform = platformFor(c.env, new URL(c.req.url).origin);
    c.set("platform", platform);
    c.set("config", platform.config);
  } finally {
    c.header("x-request-id", requestId);
  }
  await next();
  c.res.headers.set("x-request-id", requestId);
};

/**
 * Caps request bodies on the stream itself, not on Content-Length alone: a chunked body or a
 * lying length is counted byte by byte and cut off at the cap with 413 (SECURITY D1). The body
 * is buffered (it is small: JSON) and handed on as a fresh request.
 */
export const bodyCap: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = c.req.raw.body;
  if (body === null) return next();
  const max = c.get("config").maxJsonBodyBytes;
  const tooLarge = new ApiError("payload_too_large", `Request bodies are limited to ${max} bytes.`);
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > max) throw tooLarge;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooLarge;
    }
    chunks.push(value);
  }
  const buffered = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    buffered.set(chunk, offset);
    offset += chunk.byteLength;
  }
  c.req.raw = new Request(c.req.raw, { body: buffered });
  await next();
};

/** Responses from the API are per-user: never stored by shared caches (SECURITY E6). */
export const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "private, no-store");
};
