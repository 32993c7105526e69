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
    familyId: text("family_id").notNull(),
    userId: text("user_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    /** The id of the token that replaced this one; set in the same statement as used_at. */
    replacedBy: text("replaced_by"),
    revokedAt: text("revoked_at"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    index("refresh_tokens_family_idx").on(t.familyId),
    index("refresh_tokens_user_idx").on(t.userId),
  ],
);

/** Security-relevant events worth keeping (refresh-token reuse, family revocation). */
export const authEvents = sqliteTable(
  "auth_events",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    kind: text("kind").notNull(),
    detail: text("detail").notNull().default(""),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("auth_events_user_idx").on(t.userId, t.id)],
);
