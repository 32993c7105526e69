import type { TimelinePartition, TimelinePost } from "../durable-objects/timeline-partition";

/**
 * The home timelines, held outside D1 in TIMELINE_PARTITIONS Durable Objects, each reader hashed to
 * one (docs/scale.md, "Timelines"). A fan-out chunk becomes one call per partition its readers fall
 * in, all in parallel; a feed read is one call to the reader's partition.
 *
 * Objects are named `{partitions}/{index}`, so a changed partition count starts on new, empty
 * objects rather than mixing two layouts: timelines then refill from new posts, and the feed's
 * fallback (followed authors read from D1) serves what is older meanwhile.
 */
export interface Timelines {
  readonly partitions: number;
  /** One post into these readers' timelines; answers the rows added. */
  push(post: TimelinePost, readerIds: string[]): Promise<number>;
  /** Posts into one reader's timeline (a follow's backfill). */
  add(readerId: string, posts: TimelinePost[]): Promise<void>;
  /** The reader's newest `limit` post ids before `before` (null: from the top). */
  page(readerId: string, before: string | null, limit: number): Promise<string[]>;
  unlink(readerId: string, authorId: string): Promise<void>;
  drop(readerId: string): Promise<void>;
  holds(readerId: string): Promise<boolean>;
  /** A purged post out of every partition. */
  removePost(postId: string): Promise<void>;
  /** How many timelines hold the post, over every partition. */
  countPost(postId: string): Promise<number>;
}

/** 32-bit FNV-1a: a stable, well-spread hash of an id (the same partition on every isolate). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * One post in TRIM_EVERY also cuts its readers' timelines back to the cap: a reader's trim then
 * costs 1/TRIM_EVERY of a delete per row pushed, and a timeline overshoots the cap only by the
 * posts pushed between two sampled ones. Sampled by post id, so a redelivery decides the same.
 */
export const TRIM_EVERY = 16;

export function timelinesFor(
  ns: DurableObjectNamespace<TimelinePartition>,
  settings: { partitions: number; cap: number },
): Timelines {
  const { partitions, cap } = settings;
  // Ids are derived once per isolate; stubs are made per call (a stub belongs to one request).
  const ids = Array.from({ length: partitions }, (_, i) => ns.idFromName(`${partitions}/${i}`));
  const stub = (index: number) => ns.get(ids[index] ?? ns.idFromName(`${partitions}/${index}`));
  const of = (readerId: string) => stub(fnv1a(readerId) % partitions);
  const everywhere = <T>(call: (s: DurableObjectStub<TimelinePartition>) => Promise<T>) =>
    Promise.all(ids.map((_, i) => call(stub(i))));
  return {
    partitions,
    async push(post, readerIds) {
      const groups = new Map<number, string[]>();
      for (const reader of readerIds) {
        const index = fnv1a(reader) % partitions;
        const group = groups.get(index);
        if (group) group.push(reader);
        else groups.set(index, [reader]);
      }
      const trimTo = fnv1a(post.postId) % TRIM_EVERY === 0 ? cap : null;
      const added = await Promise.all([...groups].map(([index, readers]) => stub(index).push(post, readers, trimTo)));
      return added.reduce((sum, n) => sum + n, 0);
    },
    async add(readerId, posts) {
      if (posts.length > 0) await of(readerId).add(readerId, posts, cap);
    },
    page: (readerId, before, limit) => of(readerId).page(readerId, before, limit),
    unlink: (readerId, authorId) => of(readerId).unlink(readerId, authorId),
    drop: (readerId) => of(readerId).drop(readerId),
    holds: (readerId) => of(readerId).holds(readerId),
    async removePost(postId) {
      await everywhere((s) => s.removePost(postId));
    },
    async countPost(postId) {
      return (await everywhere((s) => s.countPost(postId))).reduce((sum, n) => sum + n, 0);
    },
  };
}
