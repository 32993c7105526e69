import type { HubEvent } from "../../features/chat/chat.protocol";
import type { Realtime } from "../../platform";

/** How long hub events are gathered before one RPC per member carries them. */
const HUB_BATCH_MS = 20;

/**
 * Tells members' hubs (their other devices, their inbox screen) about the room's new messages.
 * Events are gathered for HUB_BATCH_MS and sent as one RPC per member, so a busy room makes a few
 * hub calls a second per member instead of one per message; the room's own sockets are not delayed.
 */
export class HubBatcher {
  private readonly queue = new Map<string, HubEvent[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly realtime: Pick<Realtime, "hub">,
    /** Keeps the object alive until the deliveries settle (`ctx.waitUntil`). */
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  add(userIds: string[], event: HubEvent): void {
    for (const userId of userIds) {
      const events = this.queue.get(userId);
      if (events) events.push(event);
      else this.queue.set(userId, [event]);
    }
    this.timer ??= setTimeout(() => this.flush(), HUB_BATCH_MS);
  }

  private flush(): void {
    const batches = [...this.queue];
    this.queue.clear();
    this.timer = null;
    const deliveries = batches.map(([userId, events]) => this.realtime.hub(userId).publishMany(events));
    // Best effort: the message is stored and listed either way; a hub is a notification channel.
    this.waitUntil(
      Promise.allSettled(deliveries).then((results) => {
        for (const r of results) if (r.status === "rejected") console.error("hub delivery failed", r.reason);
      }),
    );
  }
}
