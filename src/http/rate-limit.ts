import { ApiError } from "./errors";

/**
 * Rate limits go through the Rate Limiting binding (periods of 10 or 60 s, counted per Cloudflare
 * location). The binding does not say when the window resets, so `retry-after` is the period.
 */
export async function enforceLimit(limiter: RateLimit, key: string, periodSeconds = 60): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    throw new ApiError("rate_limited", "Too many attempts; slow down and try again later.", {
      headers: { "retry-after": String(periodSeconds) },
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
