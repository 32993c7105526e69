/**
 * A token bucket: `burst` frames at once, then `perSecond` frames a second. Pure: the caller keeps
 * the state (per socket) and passes the time, so it is tested without waiting.
 */
export interface Rate {
  burst: number;
  perSecond: number;
}

export interface BucketState {
  tokens: number;
  /** When `tokens` was last computed, in ms. */
  at: number;
}

/** Takes one token at `now` (ms) from `state` (a full bucket when there is none yet). */
export function takeToken(
  state: BucketState | undefined,
  rate: Rate,
  now: number,
): { allowed: boolean; state: BucketState } {
  const start = state ?? { tokens: rate.burst, at: now };
  // A clock that steps back adds nothing (and takes nothing away).
  const elapsed = Math.max(0, now - start.at);
  const tokens = Math.min(rate.burst, start.tokens + (elapsed / 1000) * rate.perSecond);
  const at = Math.max(now, start.at);
  if (tokens < 1) return { allowed: false, state: { tokens, at } };
  return { allowed: true, state: { tokens: tokens - 1, at } };
}
