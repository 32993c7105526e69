import { and, desc, eq, gt, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import { accountTokens, authEvents, refreshTokens, users } from "../../db/schema";
import type { Db } from "../../platform/db";
import { newId } from "../../platform/ids";
import type { TokenPurpose } from "./mailing";

/**
 * Marks a live token of one of `purposes` used, for this call's `claim` only: of two concurrent
 * uses one UPDATE matches and the other finds it used. The statements after it in the batch read
 * the claimed row through `claimed(...)`, so they act only for the winner.
 */
export function consumeTokenStatement(
  db: Db,
  args: { tokenHash: string; purposes: TokenPurpose[]; claim: string; now: string },
) {
  const t = accountTokens;
  return db
    .update(t)
    .set({ used_at: args.now, claim: args.claim })
    .where(
      and(
        eq(t.token_hash, args.tokenHash),
        inArray(t.purpose, args.purposes),
        isNull(t.used_at),
        gt(t.expires_at, args.now),
      ),
    )
    .returning({ user_id: t.user_id, purpose: t.purpose, email: t.email });
}

/** A column of the token row this call claimed (NULL when it claimed none, or of another purpose). */
export const claimed = (claim: string, column: "user_id" | "email", purpose?: TokenPurpose) =>
  sql`(SELECT ${accountTokens[column]} FROM ${accountTokens} WHERE ${accountTokens.claim} = ${claim}${
    purpose === undefined ? sql`` : sql` AND ${accountTokens.purpose} = ${purpose}`
  })`;

/** Revokes the live refresh families of an account, all of them or all but `keepFamilyId`. */
export function revokeFamiliesStatement(db: Db, args: { userId: string | SQL; keepFamilyId?: string; now: string }) {
  return db
    .update(refreshTokens)
    .set({ revoked_at: args.now })
    .where(
      and(
        eq(refreshTokens.user_id, args.userId),
        isNull(refreshTokens.revoked_at),
        args.keepFamilyId === undefined ? undefined : ne(refreshTokens.family_id, args.keepFamilyId),
      ),
    );
}

export function authEventStatement(db: Db, args: { userId: string; kind: string; detail: string; now: string }) {
  return db.insert(authEvents).values({
    id: newId(),
    user_id: args.userId,
    kind: args.kind,
    detail: args.detail,
    created_at: args.now,
  });
}

/** Every unused token of one purpose an account holds is spent (a newer one, or the password changed). */
export function spendTokensStatement(db: Db, args: { userId: string | SQL; purpose: TokenPurpose; now: string }) {
  return db
    .update(accountTokens)
    .set({ used_at: args.now })
    .where(
      and(
        eq(accountTokens.user_id, args.userId),
        eq(accountTokens.purpose, args.purpose),
        isNull(accountTokens.used_at),
      ),
    );
}

export interface SessionRow {
  family_id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
}

/** An account's live sessions: one live (unused, unrevoked, unexpired) token per family, newest use first. */
export async function listLiveSessions(db: Db, userId: string, now: string): Promise<SessionRow[]> {
  const t = refreshTokens;
  return db
    .select({
      family_id: t.family_id,
      created_at: sql<string>`coalesce(${t.family_created_at}, ${t.created_at})`,
      last_used_at: t.created_at,
      user_agent: t.user_agent,
    })
    .from(t)
    .where(and(eq(t.user_id, userId), isNull(t.used_at), isNull(t.revoked_at), gt(t.expires_at, now)))
    .orderBy(desc(t.created_at))
    .limit(200);
}

export async function findUserEmailOwner(db: Db, email: string) {
  return db.query.users.findFirst({ where: eq(users.email, email), columns: { id: true } });
}
