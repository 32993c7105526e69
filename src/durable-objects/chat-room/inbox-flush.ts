import { flushInbox } from "../../features/chat/chat.repo";
import type { Clock, Db } from "../../platform";
import type { RoomStore } from "./room-store";

/** Backoff after a failed flush: 5 s, doubling, at most 5 min. */
const retryDelayMs = (failures: number): number => Math.min(5_000 * 2 ** (failures - 1), 300_000);

/**
 * When the room writes its inbox summary (last message, read positions) to D1: by alarm,
 * `flushMs` after the first unflushed change, so a busy room costs one D1 batch per interval
 * rather than one write per message. The store counts changes (`version`) and what D1 has
 * (`flushed_version`), so what still needs writing survives eviction and failures.
 */
export class InboxFlush {
  /** An alarm is set already: later changes in the interval ride on it. */
  private armed = false;

  constructor(
    private readonly store: RoomStore,
    private readonly storage: DurableObjectStorage,
    private readonly deps: { db: Db; clock: Clock; flushMs: number },
  ) {}

  /** Something the inbox shows changed: count it and make sure a flush is due. */
  async changed(): Promise<void> {
    this.store.bumpVersion();
    await this.arm();
  }

  /** The alarm: writes the room's state to D1 if it changed since the last flush. */
  async run(): Promise<void> {
    this.armed = false;
    const conversationId = this.store.conversationId();
    const version = this.store.version();
    if (!conversationId || version <= this.store.flushedVersion()) return;

    const { reads, last } = this.store.inboxSnapshot();
    try {
      await flushInbox(this.deps.db, conversationId, reads, last);
    } catch (err) {
      // Nothing is marked flushed, so the next attempt writes the same (or newer) state. The room
      // schedules that attempt itself, backing off, rather than relying on the runtime's limited
      // alarm retries: the inbox must catch up even if no further message arrives.
      const failures = this.store.recordFlushFailure();
      console.error(
        JSON.stringify({ level: "error", msg: "chat inbox flush failed", conversationId, failures, err: String(err) }),
      );
      await this.storage.setAlarm(this.deps.clock.now().getTime() + retryDelayMs(failures));
      this.armed = true;
      return;
    }
    this.store.markFlushed(version);
    // Changes made while the batch was in flight need another flush.
    if (this.store.version() > version) await this.arm();
  }

  private async arm(): Promise<void> {
    if (this.armed) return;
    if ((await this.storage.getAlarm()) === null) {
      await this.storage.setAlarm(this.deps.clock.now().getTime() + this.deps.flushMs);
    }
    this.armed = true;
  }
}
