import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * One-use tokens mailed to an account (README "Account lifecycle"): email verification (24 h),
 * an email change (24 h, `email` = the new address) and a password reset (30 min). Only the SHA-256
 * of the token is stored. The token itself is an HMAC of the row id under SIGNING_SECRET, so the
 * mail sender can put it into the link without it ever being stored (`mails.token_id`).
 * `used_at` + `claim` are set by the one conditional UPDATE that consumes it: of two concurrent
 * uses, one wins, and the statements after it in the batch act only for that claim.
 */
export const accountTokens = sqliteTable(
  "account_tokens",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    purpose: text("purpose", { enum: ["verify_email", "change_email", "password_reset"] }).notNull(),
    token_hash: text("token_hash").notNull(),
    /** The address this token proves (verification and change); null for a reset. */
    email: text("email"),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
    used_at: text("used_at"),
    claim: text("claim"),
  },
  (t) => [uniqueIndex("account_tokens_hash_uq").on(t.token_hash), index("account_tokens_user_idx").on(t.user_id)],
);

/**
 * Mail waiting for (or done with) the `mail.send` job. The body's link holds `{{token}}` where the
 * token goes; the sender derives it from `token_id` at send time. `sent_at` is claimed before the
 * send (one sender per mail) and released when the send fails, so a retry sends it again.
 */
export const mails = sqliteTable(
  "mails",
  {
    id: text("id").primaryKey(),
    to_address: text("to_address").notNull(),
    subject: text("subject").notNull(),
    text_body: text("text_body").notNull(),
    html_body: text("html_body").notNull(),
    token_id: text("token_id"),
    created_at: text("created_at").notNull(),
    sent_at: text("sent_at"),
    /** `sent`, `skipped` (no mail sender configured) or `failed` (retries exhausted). */
    status: text("status", { enum: ["pending", "sent", "skipped", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [index("mails_unsent_idx").on(t.created_at).where(sql`sent_at IS NULL`)],
);

/** DEV_MAILBOX=1 only: what was "sent", listed at GET /dev/mailbox (never written in production). */
export const devMailbox = sqliteTable(
  "dev_mailbox",
  {
    id: text("id").primaryKey(),
    to_address: text("to_address").notNull(),
    subject: text("subject").notNull(),
    text_body: text("text_body").notNull(),
    html_body: text("html_body").notNull(),
    sent_at: text("sent_at").notNull(),
  },
  (t) => [index("dev_mailbox_to_idx").on(t.to_address, t.id)],
);

/**
 * A name an account gave up, held for its former owner until `expires_at` (14 days) so links to
 * the old name do not lead to an impostor. Sign-up and renames by anyone else are refused while it
 * holds; the former owner may take it back.
 */
export const reservedUsernames = sqliteTable("reserved_usernames", {
  username: text("username").primaryKey(),
  user_id: text("user_id").notNull(),
  expires_at: text("expires_at").notNull(),
});
