import { and, eq, isNull } from "drizzle-orm";
import { authEvents, refreshTokens, type UserRow, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import { newId } from "../../platform/ids";

export type NewRefreshToken = Pick<
  typeof refreshTokens.$inferInsert,
  "id" | "family_id" | "user_id" | "token_hash" | "created_at" | "expires_at"
>;

export function insertRefreshToken(db: Db, token: NewRefreshToken) {
  return db.insert(refreshTokens).values(token);
}

export async function createUserWithToken(db: Db, user: typeof users.$inferInsert, token: NewRefreshToken) {
  // One batch: an account never exists without its first session, and a failed token insert
  // leaves no half-made account behind.
  await db.batch([db.insert(users).values(user), insertRefreshToken(db, token)]);
}

export async function findUserByLogin(
  db: Db,
  login: { username?: string; email?: string },
): Promise<UserRow | undefined> {
  if (login.email !== undefined) return db.query.users.findFirst({ where: eq(users.email, login.email) });
  if (login.username !== undefined) return db.query.users.findFirst({ where: eq(users.username, login.username) });
  return undefined;
}

/**
 * Rotates a refresh token atomically: marks the presented token used (only if it is live) and
 * inserts its successor in the same family, in one batch. The successor's INSERT … SELECT only
 * finds a row when this call's UPDATE won (it matches on `replaced_by = successor id`), so of any
 * number of concurrent refreshes with one token exactly one gets a new token (SECURITY B10).
 */
export async function rotateRefreshToken(
  db: Db,
  args: { presentedHash: string; successor: Omit<NewRefreshToken, "family_id" | "user_id">; now: string },
): Promise<{ user_id: string; family_id: string } | null> {
  const { presentedHash, successor, now } = args;
  // Raw statements: drizzle's batch cannot carry an INSERT … SELECT with bound values.
  const d1 = db.$client;
  const [updated] = await d1.batch<{ user_id: string; family_id: string }>([
    d1
      .prepare(
        `UPDATE refresh_tokens SET used_at = ?1, replaced_by = ?2
         WHERE token_hash = ?3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1
         RETURNING user_id, family_id`,
      )
      .bind(now, successor.id, presentedHash),
    d1
      .prepare(
        `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at)
         SELECT ?1, family_id, user_id, ?2, ?3, ?4 FROM refresh_tokens
         WHERE token_hash = ?5 AND replaced_by = ?1`,
      )
      .bind(successor.id, successor.token_hash, successor.created_at, successor.expires_at, presentedHash),
  ]);
  const row = updated?.results[0];
  return row ? { user_id: row.user_id, family_id: row.family_id } : null;
}

export function findRefreshToken(db: Db, tokenHash: string) {
  return db.query.refreshTokens.findFirst({ where: eq(refreshTokens.token_hash, tokenHash) });
}

export async function revokeFamily(db: Db, args: { family_id: string; user_id: string; now: string; reason: string }) {
  await db.batch([
    db
      .update(refreshTokens)
      .set({ revoked_at: args.now })
      .where(and(eq(refreshTokens.family_id, args.family_id), isNull(refreshTokens.revoked_at))),
    db.insert(authEvents).values({
      id: newId(),
      user_id: args.user_id,
      kind: args.reason,
      detail: `family ${args.family_id}`,
      created_at: args.now,
    }),
  ]);
}
