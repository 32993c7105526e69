import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { authEvents, refreshTokens, type UserRow, users } from "../../db/schema";
import { columnNames, type Db } from "../../platform/db";
import { newId } from "../../platform/ids";

export type NewRefreshToken = Pick<
  typeof refreshTokens.$inferInsert,
  "id" | "family_id" | "user_id" | "token_hash" | "created_at" | "expires_at" | "family_created_at" | "user_agent"
>;

export function insertRefreshToken(db: Db, token: NewRefreshToken) {
  return db.insert(refreshTokens).values(token);
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
 * number of concurrent refreshes with one token exactly one gets a new token.
 */
export async function rotateRefreshToken(
  db: Db,
  args: {
    presentedHash: string;
    successor: Omit<NewRefreshToken, "family_id" | "user_id" | "family_created_at" | "user_agent">;
    now: string;
  },
): Promise<{ user_id: string; family_id: string } | null> {
  const { presentedHash, successor, now } = args;
  const t = refreshTokens;
  const [updated] = await db.batch([
    db
      .update(t)
      .set({ used_at: now, replaced_by: successor.id })
      .where(and(eq(t.token_hash, presentedHash), isNull(t.used_at), isNull(t.revoked_at), gt(t.expires_at, now)))
      .returning({ user_id: t.user_id, family_id: t.family_id }),
    // `sql`, not the builder: the builder's INSERT … SELECT fills every column of the table, and this
    // one names eight and copies family, user and the session's summary from the row the UPDATE just
    // marked (the successor's created_at is the session's last use, README "Sessions").
    db.run(
      sql`INSERT INTO ${t} (${columnNames(t.id, t.family_id, t.user_id, t.token_hash, t.created_at, t.expires_at, t.family_created_at, t.user_agent)})
          SELECT ${successor.id}, ${t.family_id}, ${t.user_id}, ${successor.token_hash}, ${successor.created_at}, ${successor.expires_at},
            coalesce(${t.family_created_at}, ${t.created_at}), ${t.user_agent}
          FROM ${t} WHERE ${t.token_hash} = ${presentedHash} AND ${t.replaced_by} = ${successor.id}`,
    ),
  ]);
  const row = updated[0];
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
