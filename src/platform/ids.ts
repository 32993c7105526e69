/**
 * Time-sortable ids (ULID layout: 48-bit millisecond time + 80 random bits, Crockford base32,
 * 26 characters). Strings, because JavaScript numbers lose 64-bit ids past 2^53; sortable, so
 * keyset cursors over ids follow creation order.
 */
import { appClock } from "./clock";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export function newId(now: number = appClock.now().getTime()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET.charAt((bytes[i] ?? 0) % 32);
  return time + rand;
}

/** The smallest id of the millisecond `ms`: every id made at or after it sorts at or after it. */
export function idFloor(ms: number): string {
  return newId(ms).slice(0, 10) + "0".repeat(16);
}
