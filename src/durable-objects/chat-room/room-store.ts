import type { ChatMessage } from "../../features/chat/chat.protocol";

/**
 * A room's own SQLite (`ctx.storage.sql`): its messages, its members' read positions and a few
 * facts about the room (which conversation it is, closed or not, how far the inbox flush got).
 * Every statement the room runs on its storage is here; the room decides when to run them.
 */

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS room (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS members (user_id TEXT PRIMARY KEY, read_seq INTEGER NOT NULL DEFAULT 0)",
  `CREATE TABLE IF NOT EXISTS messages (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     sender_id TEXT NOT NULL,
     body TEXT NOT NULL,
     client_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     story_id TEXT,
     UNIQUE (sender_id, client_id)
   )`,
];

/**
 * Columns added after rooms already existed; not dead code. `CREATE TABLE IF NOT EXISTS` leaves an
 * existing table as it is, so a room created before a column was added only gets it from an
 * ALTER: `story_id` came with story replies (commit 5db3a02), in the same change that added it to
 * the CREATE TABLE above, and rooms made by the first chat release have no such column. A room's
 * storage is never rebuilt, so this stays as long as such rooms may exist.
 *
 * Idempotent by looking first: the ALTER runs only when the column is missing. (It used to run
 * every time, any error taken to mean "already there", which would also have hidden a real
 * failure and left the room to fail on every insert.)
 */
const ADDED_COLUMNS = [
  { table: "messages", column: "story_id", ddl: "ALTER TABLE messages ADD COLUMN story_id TEXT" },
  // Staff hid the message (docs/moderation.md): its body is withheld from every reader.
  { table: "messages", column: "hidden", ddl: "ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0" },
  // The sender's account was deleted (docs/accounts.md): the message stays, its body is erased.
  {
    table: "messages",
    column: "sender_deleted",
    ddl: "ALTER TABLE messages ADD COLUMN sender_deleted INTEGER NOT NULL DEFAULT 0",
  },
];

type MessageRow = {
  seq: number;
  id: string;
  sender_id: string;
  body: string;
  client_id: string;
  created_at: string;
  story_id: string | null;
  hidden: number;
  sender_deleted: number;
};

const MESSAGE_COLUMNS = "seq, id, sender_id, body, client_id, created_at, story_id, hidden, sender_deleted";

const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  seq: row.seq,
  sender: row.sender_id,
  body: row.hidden === 1 || row.sender_deleted === 1 ? "" : row.body,
  sender_deleted: row.sender_deleted === 1,
  client_id: row.client_id,
  created_at: row.created_at,
  story_id: row.story_id,
});

export interface NewMessage {
  id: string;
  senderId: string;
  body: string;
  clientId: string;
  createdAt: string;
  storyId: string | null;
}

export type ReadPosition = {
  user_id: string;
  read_seq: number;
};

/** What the inbox flush writes to D1: every member's read position and the last message. */
export interface InboxSnapshot {
  reads: ReadPosition[];
  last: MessageRow | undefined;
}

export class RoomStore {
  /**
   * The member ids, read once and kept until membership changes (only this class writes the
   * table): every message hands them to the hub batcher, and a 250-member room would otherwise
   * read 250 rows per message.
   */
  private members: string[] | null = null;
  /** Set once the room is loaded, and never changed after. */
  private conversation: string | undefined;

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    for (const { table, column, ddl } of ADDED_COLUMNS) {
      const has = sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?", table, column)
        .one().n;
      if (has === 0) sql.exec(ddl);
    }
  }

  // ---- messages ----

  /** The message `senderId` already sent with `clientId`, if any (a resend). */
  findSent(senderId: string, clientId: string): ChatMessage | null {
    const row = this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND client_id = ?`,
        senderId,
        clientId,
      )
      .toArray()[0];
    return row ? toMessage(row) : null;
  }

  /** Stores a message under the next seq, and answers it as stored. */
  insert(m: NewMessage): ChatMessage {
    const row = this.sql
      .exec<MessageRow>(
        `INSERT INTO messages (id, sender_id, body, client_id, created_at, story_id) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING ${MESSAGE_COLUMNS}`,
        m.id,
        m.senderId,
        m.body,
        m.clientId,
        m.createdAt,
        m.storyId,
      )
      .one();
    return toMessage(row);
  }

  /** Up to `limit` messages before `beforeSeq` (or the newest), newest first. */
  before(beforeSeq: number | null, limit: number): ChatMessage[] {
    return this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit,
      )
      .toArray()
      .map(toMessage);
  }

  /** Up to `limit` messages after `sinceSeq`, oldest first. */
  after(sinceSeq: number, limit: number): ChatMessage[] {
    return this.sql
      .exec<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`, sinceSeq, limit)
      .toArray()
      .map(toMessage);
  }

  /** One message as stored, body included even when hidden: for staff review and reports. */
  findById(messageId: string): (ChatMessage & { hidden: boolean }) | null {
    const row = this.sql
      .exec<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`, messageId)
      .toArray()[0];
    return row ? { ...toMessage({ ...row, hidden: 0 }), hidden: row.hidden === 1 } : null;
  }

  /**
   * Up to `limit` messages `senderId` sent after `afterSeq`, oldest first, bodies included even
   * when hidden: the sender's own words, for their data export (docs/data-export.md).
   */
  sentBy(senderId: string, afterSeq: number, limit: number): (ChatMessage & { hidden: boolean })[] {
    return this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE sender_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        senderId,
        afterSeq,
        limit,
      )
      .toArray()
      .map((row) => ({ ...toMessage({ ...row, hidden: 0 }), hidden: row.hidden === 1 }));
  }

  /**
   * The sender's account was purged: every message it sent keeps its place for the other members,
   * marked as from a deleted account, with its body erased (not only withheld); it is no longer a
   * member. Idempotent.
   */
  redactSender(senderId: string): void {
    this.sql.exec("UPDATE messages SET body = '', sender_deleted = 1 WHERE sender_id = ?", senderId);
    this.removeMember(senderId);
  }

  /** Hides or restores a message; answers whether it exists. */
  setHidden(messageId: string, hidden: boolean): boolean {
    return this.sql.exec("UPDATE messages SET hidden = ? WHERE id = ?", hidden ? 1 : 0, messageId).rowsWritten > 0;
  }

  seqOf(messageId: string): number | null {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM messages WHERE id = ?", messageId).toArray()[0]?.seq ?? null;
  }

  lastSeq(): number {
    return this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM messages").one().seq ?? 0;
  }

  // ---- members ----

  isMember(userId: string): boolean {
    return this.sql.exec("SELECT 1 FROM members WHERE user_id = ?", userId).toArray().length > 0;
  }

  memberIds(): readonly string[] {
    this.members ??= this.sql
      .exec<{ user_id: string }>("SELECT user_id FROM members")
      .toArray()
      .map((r) => r.user_id);
    return this.members;
  }

  removeMember(userId: string): void {
    this.sql.exec("DELETE FROM members WHERE user_id = ?", userId);
    this.members = null;
  }

  /** The sender has read everything up to their own message. */
  setRead(userId: string, seq: number): void {
    this.sql.exec("UPDATE members SET read_seq = ? WHERE user_id = ?", seq, userId);
  }

  /** Moves a read position forward only; answers whether it moved. */
  advanceRead(userId: string, seq: number): boolean {
    return (
      this.sql.exec("UPDATE members SET read_seq = ? WHERE user_id = ? AND read_seq < ?", seq, userId, seq)
        .rowsWritten > 0
    );
  }

  // ---- the room ----

  conversationId(): string | undefined {
    this.conversation ??= this.state("conversation_id");
    return this.conversation;
  }

  /** First use: the room becomes `conversationId`'s, with its members as D1 lists them. */
  load(conversationId: string, members: { user_id: string; last_read_seq: number }[]): void {
    for (const m of members) {
      this.sql.exec("INSERT OR IGNORE INTO members (user_id, read_seq) VALUES (?, ?)", m.user_id, m.last_read_seq);
    }
    this.members = null;
    this.setState("conversation_id", conversationId);
  }

  isClosed(): boolean {
    return this.state("closed") === "1";
  }

  setClosed(closed: boolean): void {
    this.setState("closed", closed ? "1" : "0");
  }

  // ---- inbox flush bookkeeping: `version` counts changes, `flushed_version` what D1 has ----

  version(): number {
    return Number(this.state("version") ?? 0);
  }

  /** Something the inbox shows changed (a message, a read position). */
  bumpVersion(): void {
    this.setState("version", String(this.version() + 1));
  }

  flushedVersion(): number {
    return Number(this.state("flushed_version") ?? 0);
  }

  markFlushed(version: number): void {
    this.setState("flush_failures", "0");
    this.setState("flushed_version", String(version));
  }

  /** Counts a failed flush; answers how many in a row have failed. */
  recordFlushFailure(): number {
    const failures = Number(this.state("flush_failures") ?? 0) + 1;
    this.setState("flush_failures", String(failures));
    return failures;
  }

  inboxSnapshot(): InboxSnapshot {
    const last = this.sql
      .exec<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages ORDER BY seq DESC LIMIT 1`)
      .toArray()[0];
    const reads = this.sql.exec<ReadPosition>("SELECT user_id, read_seq FROM members").toArray();
    return { reads, last };
  }

  private state(key: string): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM room WHERE key = ?", key).toArray()[0]?.value;
  }

  private setState(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO room (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}
