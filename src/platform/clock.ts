/** Time, behind a seam: every "now" in the app comes from a Clock, so tests can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

let current: Clock = systemClock;

/** The clock the platform hands out: the system clock unless a test has set another. */
export const appClock: Clock = { now: () => current.now() };

/**
 * Tests only: makes every service, consumer and Durable Object in this isolate read `clock`
 * (null restores the system clock). Production code never calls it.
 */
export function setClock(clock: Clock | null): void {
  current = clock ?? systemClock;
}

export const isoPlusSeconds = (from: Date, seconds: number): string =>
  new Date(from.getTime() + seconds * 1000).toISOString();
