/**
 * The Rate Limiting binding, behind a small interface. The binding counts per key in fixed windows
 * of 10 or 60 seconds (per Cloudflare location) and does not say when a window ends, so callers
 * answer `retry-after` with the period.
 */
export interface RateLimiter {
  readonly periodSeconds: number;
  /** Counts one attempt for `key`; false when the key is over its limit in this window. */
  allow(key: string): Promise<boolean>;
}

export function rateLimiterFor(binding: RateLimit, periodSeconds: 10 | 60): RateLimiter {
  return {
    periodSeconds,
    async allow(key) {
      return (await binding.limit({ key })).success;
    },
  };
}

/** Every limiter the app uses; limits and periods are set in wrangler.toml's [[ratelimits]]. */
export interface RateLimiters {
  loginByAddress: RateLimiter;
  loginByAccount: RateLimiter;
  signupByAddress: RateLimiter;
  /** Follow (and follow-request) attempts per account. */
  follow: RateLimiter;
  /** Messages sent over HTTP per account (sockets have their own per-connection budget). */
  message: RateLimiter;
  /** Comments per account. */
  comment: RateLimiter;
  /** Conversations started per account (only new ones: opening an existing 1:1 is not counted). */
  conversation: RateLimiter;
  /** Realtime tickets per account: each opens one socket. */
  ticket: RateLimiter;
  /** Reports filed per account. */
  report: RateLimiter;
  /**
   * Account changes that send mail or rename: verification resends, email changes, password
   * reset requests (per address and per email) and username changes, each keyed by its purpose.
   */
  account: RateLimiter;
}

export function rateLimitersFor(env: Env): RateLimiters {
  return {
    loginByAddress: rateLimiterFor(env.LOGIN_IP_LIMITER, 60),
    loginByAccount: rateLimiterFor(env.LOGIN_ACCOUNT_LIMITER, 60),
    signupByAddress: rateLimiterFor(env.SIGNUP_IP_LIMITER, 60),
    follow: rateLimiterFor(env.FOLLOW_LIMITER, 60),
    message: rateLimiterFor(env.MESSAGE_LIMITER, 10),
    comment: rateLimiterFor(env.COMMENT_LIMITER, 60),
    conversation: rateLimiterFor(env.CONVERSATION_LIMITER, 60),
    ticket: rateLimiterFor(env.TICKET_LIMITER, 60),
    report: rateLimiterFor(env.REPORT_LIMITER, 60),
    account: rateLimiterFor(env.ACCOUNT_LIMITER, 60),
  };
}
