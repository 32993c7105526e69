import type { RateLimiter } from "../platform/rate-limit";
import { ApiError } from "./errors";

/** Counts an attempt and answers 429 with `retry-after` (the limiter's period) when over the limit. */
export async function enforceLimit(limiter: RateLimiter, key: string): Promise<void> {
  if (!(await limiter.allow(key))) {
    throw new ApiError("rate_limited", "Too many attempts; slow down and try again later.", {
      headers: { "retry-after": String(limiter.periodSeconds) },
    });
  }
}

/**
 * The client address. Cloudflare's edge sets `cf-connecting-ip`; under `wrangler dev` a client
 * may send it itself, which is how local tests simulate many people from one machine.
 */
export function clientAddress(headers: { header(name: string): string | undefined }): string {
  return headers.header("cf-connecting-ip") ?? "unknown";
}
