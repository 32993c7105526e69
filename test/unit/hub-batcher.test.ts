import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  HUB_BATCH_MS,
  HUB_CALLS_PER_TURN,
  HUB_RPCS_PER_SECOND,
  HubBatcher,
  hubWindowMs,
} from "../../src/durable-objects/chat-room/hub-batcher";
import type { HubEvent } from "../../src/features/chat/chat.protocol";

const event = (n: number): HubEvent => ({
  type: "message",
  conversation_id: "c1",
  message: {
    id: `m${n}`,
    seq: n,
    sender: "u0",
    body: `message ${n}`,
    sender_deleted: false,
    client_id: `k${n}`,
    created_at: "2026-11-29T00:00:00.000Z",
    story_id: null,
  },
});

/** A fake `realtime.hub`: records every publishMany, counts the stubs made, fails on demand. */
function fakeHubs() {
  const calls: { userId: string; seqs: number[] }[] = [];
  const failing = new Set<string>();
  let stubsMade = 0;
  const realtime = {
    hub: (userId: string) => {
      stubsMade++;
      return {
        publishMany: async (events: HubEvent[]) => {
          calls.push({ userId, seqs: events.map((e) => (e.type === "message" ? e.message.seq : -1)) });
          if (failing.has(userId)) throw new Error("hub down");
          return 1;
        },
      };
    },
  };
  const pending: Promise<unknown>[] = [];
  const batcher = new HubBatcher(realtime as never, (p) => pending.push(p));
  return { batcher, calls, failing, stubs: () => stubsMade, settle: () => Promise.all(pending) };
}

const members = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);

describe("the room's hub batcher", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("gathers for 20 ms in a small room and for 2 ms a member past 10, so a room starts at most 500 hub calls a second", () => {
    expect(hubWindowMs(2)).toBe(HUB_BATCH_MS);
    expect(hubWindowMs(10)).toBe(20);
    expect(hubWindowMs(32)).toBe(64);
    expect(hubWindowMs(100)).toBe(200);
    expect(hubWindowMs(250)).toBe(500);
    for (const n of [10, 11, 32, 100, 250]) {
      expect((n * 1000) / hubWindowMs(n)).toBeLessThanOrEqual(HUB_RPCS_PER_SECOND);
    }
  });

  it("sends each member one call per window carrying every event in order, in slices with a turn between", async () => {
    const hubs = fakeHubs();
    const room = members(250);
    for (let n = 1; n <= 5; n++) hubs.batcher.add(room, event(n));
    await vi.advanceTimersByTimeAsync(hubWindowMs(250) - 1);
    expect(hubs.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    // The first slice goes at once; the rest one turn at a time.
    expect(hubs.calls).toHaveLength(HUB_CALLS_PER_TURN);
    await vi.runAllTimersAsync();
    await hubs.settle();
    expect(hubs.calls).toHaveLength(250);
    expect(new Set(hubs.calls.map((c) => c.userId)).size).toBe(250);
    for (const c of hubs.calls) expect(c.seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps a stub per member, and makes a new one after a failed call", async () => {
    const hubs = fakeHubs();
    const room = members(3);
    hubs.failing.add("u1");
    hubs.batcher.add(room, event(1));
    await vi.runAllTimersAsync();
    await hubs.settle();
    expect(hubs.stubs()).toBe(3);
    hubs.failing.clear();
    hubs.batcher.add(room, event(2));
    await vi.runAllTimersAsync();
    await hubs.settle();
    // u0 and u2 reuse theirs; u1's stub threw, so it was dropped and made again.
    expect(hubs.stubs()).toBe(4);
    expect(hubs.calls.filter((c) => c.userId === "u1").map((c) => c.seqs)).toEqual([[1], [2]]);
  });
});
