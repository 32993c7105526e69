import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
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
 * Caps request bodies on the stream itself, not on Content-Length alone, answering 413
 * problem+json past the cap; the body is buffered (it is small: JSON) and handed on.
 *
 * hono's bodyLimit counts streamed bytes only when there is no Content-Length: given one (without
 * Transfer-Encoding) it takes the header at its word and reads nothing. Over HTTP the runtime
 * frames the body by that header, but a Request built inside the runtime (a service binding, a
 * Durable Object, this Worker's own tests) can carry any header beside any body, and a 100 KB
 * body declared as 10 bytes went through uncounted. So a declared length over the cap is refused
 * here before anything is read, and bodyLimit is handed the request without the header, which
 * makes it count every byte whatever was declared.
 */
export const bodyCap: MiddlewareHandler<AppEnv> = (c, next) => {
  const max = c.get("config").maxJsonBodyBytes;
  const tooLarge = () => {
    throw new ApiError("payload_too_large", `Request bodies are limited to ${max} bytes.`);
  };
  const declared = c.req.header("content-length");
  if (declared !== undefined && c.req.raw.body !== null) {
    if (Number(declared) > max) tooLarge();
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-length");
    c.req.raw = new Request(c.req.raw, { headers });
  }
  return bodyLimit({ maxSize: max, onError: tooLarge })(c, next);
};

/** Responses from the API are per-user: never stored by shared caches (docs/security.md E6). */
export const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "private, no-store");
};
