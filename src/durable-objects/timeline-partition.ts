import { DurableObject } from "cloudflare:workers";

/** A post in a reader's timeline: ids only. */
export interface TimelinePost {
  postId: string;
  authorId: string;
}

const SCHEMA = [
  // WITHOUT ROWID: the (reader, post) key is the table, so an insert writes one B-tree, not two.
  `CREATE TABLE IF NOT EXISTS timeline (
     reader_id TEXT NOT NULL, post_id TEXT NOT NULL, author_id TEXT NOT NULL,
     PRIMARY KEY (reader_id, post_id)) WITHOUT ROWID`,
  // A purged post leaves every timeline of the partition in one seek.
  "CREATE INDEX IF NOT EXISTS timeline_post_idx ON timeline (post_id)",
];

/** Above every ULID (Crockford base32 is [0-9A-Z]): "no upper bound" in a keyset comparison. */
const TOP = "~";

/**
 * The home timelines of the readers hashed to one partition (docs/scale.md, "Timelines"): rows of
 * (reader, post, author), newest post first, kept to TIMELINE_CAP per reader. Fan-out writes one
 * chunk of followers per call; the feed reads a reader's newest ids before a cursor. It holds ids
 * only: what a reader may see is decided again in D1 on every read, so a row that outlives an
 * unfollow, a block or a deletion shows nothing. Every write is idempotent (the key), so a
 * redelivered queue message changes nothing.
 */
export class TimelinePartition extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
  }

  /**
   * One post into many readers' timelines; answers the rows added. With `trimTo`, each of those
   * readers is then cut back to that many rows (the caller asks for it on a sample of posts, so the
   * cost is spread thin and a timeline overshoots its cap by a few rows at most).
   */
  push(post: TimelinePost, readerIds: string[], trimTo: number | null): number {
    this.sql.exec(
      "INSERT OR IGNORE INTO timeline (reader_id, post_id, author_id) SELECT value, ?, ? FROM json_each(?)",
      post.postId,
      post.authorId,
      JSON.stringify(readerIds),
    );
    // Rows, not B-tree writes (`rowsWritten` counts the post index too).
    const added = this.sql.exec<{ n: number }>("SELECT changes() AS n").one().n;
    if (trimTo !== null) for (const reader of readerIds) this.trim(reader, trimTo);
    return added;
  }

  /** Several posts into one reader's timeline (a follow's backfill), then the cap. */
  add(readerId: string, posts: TimelinePost[], cap: number): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO timeline (reader_id, post_id, author_id)
       SELECT ?, json_extract(value, '$.postId'), json_extract(value, '$.authorId') FROM json_each(?)`,
      readerId,
      JSON.stringify(posts),
    );
    this.trim(readerId, cap);
  }

  /** The reader's newest `limit` post ids before `before` (null: from the top), newest first. */
  page(readerId: string, before: string | null, limit: number): string[] {
    return this.sql
      .exec<{ post_id: string }>(
        "SELECT post_id FROM timeline WHERE reader_id = ? AND post_id < ? ORDER BY post_id DESC LIMIT ?",
        readerId,
        before ?? TOP,
        limit,
      )
      .toArray()
      .map((r) => r.post_id);
  }

  /** Takes one author's posts out of one reader's timeline (at most the cap's rows walked). */
  unlink(readerId: string, authorId: string): void {
    this.sql.exec("DELETE FROM timeline WHERE reader_id = ? AND author_id = ?", readerId, authorId);
  }

  /** A deleted account's own timeline. */
  drop(readerId: string): void {
    this.sql.exec("DELETE FROM timeline WHERE reader_id = ?", readerId);
  }

  /** A purged post, from every timeline here. */
  removePost(postId: string): void {
    this.sql.exec("DELETE FROM timeline WHERE post_id = ?", postId);
  }

  /** Readers here whose timeline holds the post (tests and the bench's delivery check). */
  countPost(postId: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timeline WHERE post_id = ?", postId).one().n;
  }

  /** Whether anything of this reader is still here (the account purge's last check). */
  holds(readerId: string): boolean {
    return this.sql.exec("SELECT 1 FROM timeline WHERE reader_id = ? LIMIT 1", readerId).toArray().length > 0;
  }

  private trim(readerId: string, cap: number): void {
    this.sql.exec(
      `DELETE FROM timeline WHERE reader_id = ?1 AND post_id < (
         SELECT post_id FROM timeline WHERE reader_id = ?1 ORDER BY post_id DESC LIMIT 1 OFFSET ?2)`,
      readerId,
      cap - 1,
    );
  }
}
