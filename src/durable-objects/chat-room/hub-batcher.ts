import type { HubEvent } from "../../features/chat/chat.protocol";
import type { Realtime } from "../../platform";

/** The shortest time hub events are gathered before one RPC per member carries them. */
export const HUB_BATCH_MS = 20;
/**
 * The hub RPCs one room may start per second, whatever its size: the gathering window grows with
 * the number of members (`hubWindowMs`), so a busy group of 250 calls its members' hubs twice a
 * second rather than 50 times (12,500 RPCs a second). Measured (README "Benchmarks"): with a fixed
 * 20 ms window, a 100-member room spent ~0.5 of a core on hub calls at any message rate, and each
 * window's burst of calls held up the room's own sockets (p99 over 100 ms at 40% of capacity).
 */
export const HUB_RPCS_PER_SECOND = 500;
/** Hub calls started per turn of the event loop; a socket frame that arrived meanwhile goes first. */
export const HUB_CALLS_PER_TURN = 10;

/** The gathering window for a room of `members`: 20 ms up to 10 members, 2 ms a member after. */
export const hubWindowMs = (members: number): number =>
  Math.max(HUB_BATCH_MS, Math.ceil((members * 1000) / HUB_RPCS_PER_SECOND));

type HubStub = ReturnType<Realtime["hub"]>;

/**
 * Tells members' hubs (their other devices, their inbox screen) about the room's new messages.
 * Events are gathered for `hubWindowMs(members)` and sent as one `publishMany` RPC per member, in
 * slices of HUB_CALLS_PER_TURN a turn, so a busy room makes at most ~HUB_RPCS_PER_SECOND hub calls
 * a second and never stalls its own sockets behind a burst of them. Every event still reaches every
 * member's hub, in order. The room's own sockets are not delayed: they get each message at once.
 *
 * Stubs are kept per member (an `idFromName` hashes the name each time) and dropped after a failed
 * call, since a stub that threw may stay broken.
 */
export class HubBatcher {
  private readonly queue = new Map<string, HubEvent[]>();
  private readonly stubs = new Map<string, HubStub>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly realtime: Pick<Realtime, "hub">,
    /** Keeps the object alive until the deliveries settle (`ctx.waitUntil`). */
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  add(userIds: readonly string[], event: HubEvent): void {
    for (const userId of userIds) {
      const events = this.queue.get(userId);
      if (events) events.push(event);
      else this.queue.set(userId, [event]);
    }
    this.timer ??= setTimeout(() => this.waitUntil(this.flush()), hubWindowMs(userIds.length));
  }

  /** A member left: their stub is not needed any more. */
  forget(userId: string): void {
    this.stubs.delete(userId);
  }

  private async flush(): Promise<void> {
    const batches = [...this.queue];
    this.queue.clear();
    this.timer = null;
    const deliveries: Promise<unknown>[] = [];
    for (let i = 0; i < batches.length; i += HUB_CALLS_PER_TURN) {
      // Yield between slices: frames from the room's sockets are handled before the next slice.
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 0));
      for (const [userId, events] of batches.slice(i, i + HUB_CALLS_PER_TURN)) {
        deliveries.push(
          this.stub(userId)
            .publishMany(events)
            .catch((err: unknown) => {
              // Best effort: the message is stored and listed either way; a hub is a notification channel.
              this.stubs.delete(userId);
              console.error("hub delivery failed", err);
            }),
        );
      }
    }
    await Promise.all(deliveries);
  }

  private stub(userId: string): HubStub {
    let stub = this.stubs.get(userId);
    if (!stub) {
      stub = this.realtime.hub(userId);
      this.stubs.set(userId, stub);
    }
    return stub;
  }
}
