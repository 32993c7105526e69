import { DurableObject } from "cloudflare:workers";
import { type Clock, platformFor } from "../platform";

/** A story a viewer's tray has been told about (ids and times only). */
export interface TrayStory {
  storyId: string;
  authorId: string;
  createdAt: string;
  expiresAt: string;
}

/** What the tray holds now: live stories it was told about, and the ids the viewer has seen. */
export interface TraySnapshot {
  stories: TrayStory[];
  seen: string[];
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS entries (
     story_id TEXT PRIMARY KEY, author_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS entries_expires_idx ON entries (expires_at)",
  "CREATE TABLE IF NOT EXISTS seen (story_id TEXT PRIMARY KEY, expires_at TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS seen_expires_idx ON seen (expires_at)",
];

/**
 * One per viewer: which followed accounts have stories up, and which of those the viewer has
 * seen. The fan-out queue tells it about new stories (only those the policy lets the viewer see);
 * one alarm, always set for the earliest expiry, drops entries as they expire. It is a cache of
 * "who has something new" for the tray: D1 stays the truth, and the Worker re-checks every entry
 * against it (deleted, blocked, muted, unfollowed, no longer a close friend) on every read.
 */
export class StoryTray extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly clock: Clock;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.clock = platformFor(env).clock;
    for (const statement of SCHEMA) this.sql.exec(statement);
  }

  /** Idempotent: a redelivered fan-out message adds nothing. */
  async add(story: TrayStory): Promise<void> {
    if (Date.parse(story.expiresAt) <= this.clock.now().getTime()) return;
    this.sql.exec(
      "INSERT OR IGNORE INTO entries (story_id, author_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
      story.storyId,
      story.authorId,
      story.createdAt,
      story.expiresAt,
    );
    await this.armFor(story.expiresAt);
  }

  /** The viewer saw this story (kept until it expires, so "unseen" stays right). */
  async markSeen(storyId: string, expiresAt: string): Promise<void> {
    if (Date.parse(expiresAt) <= this.clock.now().getTime()) return;
    this.sql.exec("INSERT OR IGNORE INTO seen (story_id, expires_at) VALUES (?, ?)", storyId, expiresAt);
    await this.armFor(expiresAt);
  }

  async snapshot(): Promise<TraySnapshot> {
    const now = this.clock.now().toISOString();
    const stories = this.sql
      .exec<{ story_id: string; author_id: string; created_at: string; expires_at: string }>(
        "SELECT story_id, author_id, created_at, expires_at FROM entries WHERE expires_at > ?",
        now,
      )
      .toArray()
      .map((r) => ({ storyId: r.story_id, authorId: r.author_id, createdAt: r.created_at, expiresAt: r.expires_at }));
    const seen = this.sql
      .exec<{ story_id: string }>("SELECT story_id FROM seen WHERE expires_at > ?", now)
      .toArray()
      .map((r) => r.story_id);
    return { stories, seen };
  }

  /** Expiry: drop everything past its time, then set the one alarm for the next expiry. */
  override async alarm(): Promise<void> {
    const now = this.clock.now().toISOString();
    this.sql.exec("DELETE FROM entries WHERE expires_at <= ?", now);
    this.sql.exec("DELETE FROM seen WHERE expires_at <= ?", now);
    const next = this.earliestExpiry();
    if (next !== null) await this.ctx.storage.setAlarm(Date.parse(next));
  }

  private earliestExpiry(): string | null {
    return this.sql
      .exec<{ next: string | null }>(
        "SELECT MIN(expires_at) AS next FROM (SELECT expires_at FROM entries UNION ALL SELECT expires_at FROM seen)",
      )
      .one().next;
  }

  private async armFor(expiresAt: string): Promise<void> {
    const at = Date.parse(expiresAt);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
