import { describe, expect, it } from "vitest";
import { type BucketState, takeToken } from "../../src/durable-objects/chat-room/token-bucket";

const rate = { burst: 20, perSecond: 10 };

/** Takes `n` tokens at `now`, answering how many were allowed and the state after. */
function takeMany(n: number, now: number, start?: BucketState) {
  let state = start;
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    const r = takeToken(state, rate, now);
    state = r.state;
    if (r.allowed) allowed++;
  }
  return { allowed, state };
}

describe("the frame token bucket", () => {
  it("lets a burst through at once and refuses the frame after it", () => {
    expect(takeMany(21, 1_000).allowed).toBe(20);
  });

  it("refills at the steady rate, never above the burst", () => {
    const { state } = takeMany(20, 1_000);
    expect(takeMany(10, 1_500, state).allowed).toBe(5); // half a second: 5 tokens
    expect(takeMany(30, 60_000, state).allowed).toBe(20); // a minute later: full, not 590
  });

  it("holds a sender to the rate over time", () => {
    let state: BucketState | undefined;
    let allowed = 0;
    // 100 frames a second for 10 seconds: the burst, then 10 a second.
    for (let t = 0; t < 10_000; t += 10) {
      const r = takeToken(state, rate, t);
      state = r.state;
      if (r.allowed) allowed++;
    }
    expect(allowed).toBeGreaterThanOrEqual(119);
    expect(allowed).toBeLessThanOrEqual(120);
  });

  it("gains nothing when the clock steps back", () => {
    const { state } = takeMany(20, 5_000);
    expect(takeMany(5, 1_000, state).allowed).toBe(0);
  });
});
