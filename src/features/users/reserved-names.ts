import { and, eq, gt, lte, ne, or, sql } from "drizzle-orm";
import { reservedUsernames, users } from "../../db/schema";
import { columnNames, type Db } from "../../platform/db";

/** A name given up by a rename stays with its former owner this long (README "Usernames"). */
export const RENAMED_NAME_HOLD_SECONDS = 14 * 24 * 3600;

/** Is `username` held for an account other than `exceptUserId` (null: anyone) at `now`? */
export async function usernameHeld(
  db: Db,
  username: string,
  exceptUserId: string | null,
  now: string,
): Promise<boolean> {
  const row = await db
    .select({ username: reservedUsernames.username })
    .from(reservedUsernames)
    .where(
      and(
        eq(reservedUsernames.username, username),
        gt(reservedUsernames.expires_at, now),
        exceptUserId === null ? undefined : ne(reservedUsernames.user_id, exceptUserId),
      ),
    )
    .limit(1);
  return row.length > 0;
}

/**
 * Holds `username` for the account that owns `ownerEmail` until `until` (a sign-up attempt on that
 * email, see auth.service `signup`); an existing, longer hold is kept.
 */
export function holdUsernameStatement(db: Db, args: { username: string; ownerEmail: string; until: string }) {
  const r = reservedUsernames;
  return db.run(
    sql`INSERT INTO ${r} (${columnNames(r.username, r.user_id, r.expires_at)})
        SELECT ${args.username}, ${users.id}, ${args.until} FROM ${users} WHERE ${users.email} = ${args.ownerEmail}
        ON CONFLICT (${columnNames(r.username)}) DO UPDATE SET ${columnNames(r.user_id)} = excluded.${columnNames(r.user_id)},
          ${columnNames(r.expires_at)} = excluded.${columnNames(r.expires_at)}
        WHERE ${r.expires_at} < excluded.${columnNames(r.expires_at)}`,
  );
}

/** Holds a name an account just gave up, for that account, until `until` (replacing any hold). */
export function holdOwnNameStatement(db: Db, args: { username: string; userId: string; until: string }) {
  return db
    .insert(reservedUsernames)
    .values({ username: args.username, user_id: args.userId, expires_at: args.until })
    .onConflictDoUpdate({
      target: reservedUsernames.username,
      set: { user_id: args.userId, expires_at: args.until },
    });
}

/**
 * Drops the hold on a name `userId` is taking: its own hold, or one that has lapsed. Another
 * account's live hold is left in place (the rename checked it just before).
 */
export function releaseNameStatement(db: Db, args: { username: string; userId: string; now: string }) {
  const r = reservedUsernames;
  return db
    .delete(r)
    .where(and(eq(r.username, args.username), or(eq(r.user_id, args.userId), lte(r.expires_at, args.now))));
}
