/**
 * D1 read replication (docs/replication.md): every API answer carries `x-d1-bookmark`, an opaque
 * token for the database position the request read or wrote at, and a request that sends the
 * latest one back may read a nearby replica at least that new, so the person always reads their
 * own writes, even when a replica near them is behind the primary.
 *
 * The latest bookmark is shared by every tab of the app through localStorage (a post made in one
 * tab shows in the feed of another), and only ever moves forward: the tokens sort oldest to newest
 * as strings (a D1 bookmark first, then a time), so of two answers arriving out of order the older
 * one never replaces the newer. Without localStorage (private modes that refuse it) it is kept per tab, in memory.
 */
const KEY = "edgegram.d1_bookmark";
export const BOOKMARK_HEADER = "x-d1-bookmark";

let inMemory: string | null = null;

function stored(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The newest bookmark this browser has been answered, or null before the first answer. */
export function latestBookmark(): string | null {
  const shared = stored();
  if (shared === null) return inMemory;
  return inMemory === null || shared > inMemory ? shared : inMemory;
}

/** Keeps the answer's bookmark when it is newer than the one held. */
export function noteBookmark(response: Response): void {
  const bookmark = response.headers.get(BOOKMARK_HEADER);
  if (!bookmark) return;
  const held = latestBookmark();
  if (held !== null && held >= bookmark) return;
  inMemory = bookmark;
  try {
    localStorage.setItem(KEY, bookmark);
  } catch {
    // Storage refused or full: this tab keeps it in memory.
  }
}

/** Adds the latest bookmark to a request's headers. */
export function sendBookmark(headers: Headers): void {
  const bookmark = latestBookmark();
  if (bookmark !== null) headers.set(BOOKMARK_HEADER, bookmark);
}
