import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The transactional outbox: a job that must follow a write is stored in the same D1 batch as the
 * write, so a queue that refuses the send cannot lose it. Right after the batch the request tries
 * to send it; the sender (cron, each minute) sends whatever is still unsent. A sender claims rows
 * for a while before sending (`claimed_until`), so two senders do not both send one row; a sender
 * that dies after sending and before marking lets the claim lapse and the row is sent again, which
 * every consumer tolerates (they are idempotent).
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    /** The job message, as the queue will carry it (JSON; ids only, never secrets). */
    job: text("job").notNull(),
    created_at: text("created_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    claimed_until: text("claimed_until"),
    sent_at: text("sent_at"),
  },
  (t) => [
    // The sender walks only unsent rows, oldest first.
    index("outbox_unsent_idx").on(t.id).where(sql`sent_at IS NULL`),
    index("outbox_sent_idx").on(t.sent_at).where(sql`sent_at IS NOT NULL`),
  ],
);
