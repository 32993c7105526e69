import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Refresh tokens (RFC 9700 rotation). Only a SHA-256 of the opaque token is stored. Every
 * successful refresh marks the presented row `used_at` and inserts its successor in the same
 * family; presenting a used token again revokes the whole family.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    family_id: text("family_id").notNull(),
    user_id: text("user_id").notNull(),
    token_hash: text("token_hash").notNull(),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
    used_at: text("used_at"),
    /** The id of the token that replaced this one; set in the same statement as used_at. */
    replaced_by: text("replaced_by"),
    revoked_at: text("revoked_at"),
    /** When the family (the session) began; copied to each successor. */
    family_created_at: text("family_created_at"),
    /** A short summary of the sign-in's User-Agent ("Chrome on macOS"), copied to each successor. */
    user_agent: text("user_agent"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.token_hash),
    index("refresh_tokens_family_idx").on(t.family_id),
    index("refresh_tokens_user_idx").on(t.user_id),
  ],
);

/** Security-relevant events worth keeping (refresh-token reuse, family revocation). */
export const authEvents = sqliteTable(
  "auth_events",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    kind: text("kind").notNull(),
    detail: text("detail").notNull().default(""),
    created_at: text("created_at").notNull(),
  },
  (t) => [index("auth_events_user_idx").on(t.user_id, t.id)],
);
