import type { z } from "@hono/zod-openapi";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { refreshTokens, users } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { sha256Hex } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db";
import { newId } from "../../platform/ids";
import { revokeFamily } from "../auth/auth.repo";
import { hashPassword, verifyPassword } from "../auth/password";
import { closeStreams } from "../moderation/suspension";
import { findUserById } from "../users/users.repo";
import {
  authEventStatement,
  claimed,
  consumeTokenStatement,
  findUserEmailOwner,
  listLiveSessions,
  revokeFamiliesStatement,
  spendTokensStatement,
} from "./account.repo";
import type {
  ChangeEmailSchema,
  ChangePasswordSchema,
  ConfirmResetSchema,
  SessionInfoSchema,
  VerifiedEmailSchema,
} from "./account.schema";
import {
  addressInUseMail,
  changeEmailMail,
  emailChangeNoticeMail,
  passwordChangedMail,
  passwordResetMail,
  verifyEmailMail,
} from "./mail-templates";
import { insertTokenStatement, newAccountToken, type StagedMail, stageMail } from "./mailing";

export type AccountDeps = Pick<Platform, "db" | "config" | "clock" | "limits" | "outbox" | "realtime" | "stream">;

/** The caller: the account and the session (refresh family) its access token came from. */
export interface Caller {
  userId: string;
  sessionId: string;
}

const badToken = () => new ApiError("bad_request", "The link is not valid: it was already used, or it expired.");
const gone = () => new ApiError("unauthorized", "The account for this token no longer exists.");

async function mustFindUser(deps: AccountDeps, userId: string) {
  const row = await findUserById(deps.db, userId);
  if (!row) throw gone();
  return row;
}

/**
 * Checks the caller's password the way login does: counted against the login limit of the
 * account's name first (so guessing through these routes is throttled like login), then a wrong
 * one is a 401 (docs/security.md B11).
 */
async function requirePassword(deps: AccountDeps, user: { username: string; password_hash: string }, password: string) {
  await enforceLimit(deps.limits.loginByAccount, `login:${user.username}`);
  if (!(await verifyPassword(password, user.password_hash, deps.config.passwordPepper))) {
    throw new ApiError("unauthorized", "The password is wrong.");
  }
}

/** One batch of a change and the mails that follow it, then the mails' jobs are sent. */
async function commit(deps: AccountDeps, statements: BatchItem<"sqlite">[], mails: StagedMail[]) {
  const [first, ...rest] = statements;
  if (!first) return;
  await deps.db.batch([first, ...rest]);
  await deps.outbox.deliver(mails.flatMap((m) => m.outboxIds));
}

// ---------------------------------------------------------------------------------------------
// Email verification and change

/** POST /v1/auth/verify-email: a verification or an email-change link's token, used once. */
export async function verifyEmail(deps: AccountDeps, token: string): Promise<z.infer<typeof VerifiedEmailSchema>> {
  const now = deps.clock.now().toISOString();
  const claim = newId();
  const tokenHash = await sha256Hex(token);
  const consume = () =>
    deps.db.batch([
      consumeTokenStatement(deps.db, { tokenHash, purposes: ["verify_email", "change_email"], claim, now }),
      // A verification proves the address only while it is still the account's.
      deps.db
        .update(users)
        .set({ email_verified_at: now, updated_at: now })
        .where(and(eq(users.id, claimed(claim, "user_id", "verify_email")), eq(users.email, claimed(claim, "email")))),
      // A change takes effect now, already verified (the link reached the new address).
      deps.db
        .update(users)
        .set({ email: claimed(claim, "email"), email_verified_at: now, updated_at: now })
        .where(eq(users.id, claimed(claim, "user_id", "change_email"))),
      // Reset links mailed to the old address stop working once it is no longer the account's.
      spendTokensStatement(deps.db, {
        userId: claimed(claim, "user_id", "change_email"),
        purpose: "password_reset",
        now,
      }),
    ]);
  let consumed: Awaited<ReturnType<typeof consume>>[0];
  try {
    [consumed] = await consume();
  } catch (err) {
    // Another account took the address since the link was sent: nothing changed, the link stays.
    if (isUniqueViolation(err)) throw new ApiError("conflict", "That email address now belongs to another account.");
    throw err;
  }
  const [row] = consumed;
  if (!row) throw badToken();
  const user = await findUserById(deps.db, row.user_id);
  if (!user || (row.purpose === "verify_email" && user.email !== row.email)) throw badToken();
  return { email: user.email, email_verified: true };
}

/** POST /v1/me/email/verification: a fresh verification link (earlier ones stop working). */
export async function resendVerification(deps: AccountDeps, caller: Caller): Promise<void> {
  await enforceLimit(deps.limits.account, `verify-resend:${caller.userId}`);
  const user = await mustFindUser(deps, caller.userId);
  if (user.email_verified_at !== null) throw new ApiError("conflict", "The email address is already verified.");
  const now = deps.clock.now().toISOString();
  const token = await newAccountToken(deps, "verify_email");
  const mail = stageMail(deps, verifyEmailMail(deps.config.appUrl, user.username), {
    to: user.email,
    tokenId: token.id,
  });
  await commit(
    deps,
    [
      spendTokensStatement(deps.db, { userId: user.id, purpose: "verify_email", now }),
      insertTokenStatement(deps, token, { userId: user.id, purpose: "verify_email", email: user.email }),
      ...mail.statements,
    ],
    [mail],
  );
}

/**
 * PATCH /v1/me/email: the new address gets a link and becomes the account's only once it is
 * followed; the current address is told. A new address that belongs to another account gets a
 * notice instead, and the answer is the same (no enumeration through this route either).
 */
export async function changeEmail(deps: AccountDeps, caller: Caller, input: z.infer<typeof ChangeEmailSchema>) {
  const user = await mustFindUser(deps, caller.userId);
  await requirePassword(deps, user, input.password);
  await enforceLimit(deps.limits.account, `email-change:${user.id}`);
  if (input.email === user.email) {
    throw new ApiError("validation_failed", "That is already the account's email address.", {
      errors: [{ path: "email", message: "already the account's address" }],
    });
  }
  const now = deps.clock.now().toISOString();
  const notice = stageMail(deps, emailChangeNoticeMail(user.username, input.email), { to: user.email });
  if (await findUserEmailOwner(deps.db, input.email)) {
    const inUse = stageMail(deps, addressInUseMail(), { to: input.email });
    await commit(deps, [...inUse.statements, ...notice.statements], [inUse, notice]);
    return;
  }
  const token = await newAccountToken(deps, "change_email");
  const link = stageMail(deps, changeEmailMail(deps.config.appUrl, user.username), {
    to: input.email,
    tokenId: token.id,
  });
  await commit(
    deps,
    [
      spendTokensStatement(deps.db, { userId: user.id, purpose: "change_email", now }),
      insertTokenStatement(deps, token, { userId: user.id, purpose: "change_email", email: input.email }),
      ...link.statements,
      ...notice.statements,
    ],
    [link, notice],
  );
}

// ---------------------------------------------------------------------------------------------
// Passwords

/**
 * PUT /v1/me/password: every other session ends (its refresh family revoked, so its access tokens
 * are refused on their next request, platform/session-guard.ts) and the caller's stays. Every open
 * socket of the account is closed too, the caller's included: sockets do not say which session
 * opened them, so the caller's client reconnects with a fresh ticket (README "Sessions").
 */
export async function changePassword(deps: AccountDeps, caller: Caller, input: z.infer<typeof ChangePasswordSchema>) {
  const user = await mustFindUser(deps, caller.userId);
  await requirePassword(deps, user, input.current_password);
  const now = deps.clock.now().toISOString();
  const hash = await hashPassword(input.new_password, deps.config.passwordPepper);
  const notice = stageMail(deps, passwordChangedMail(user.username), { to: user.email });
  await commit(
    deps,
    [
      deps.db.update(users).set({ password_hash: hash, updated_at: now }).where(eq(users.id, user.id)),
      revokeFamiliesStatement(deps.db, { userId: user.id, keepFamilyId: caller.sessionId, now }),
      spendTokensStatement(deps.db, { userId: user.id, purpose: "password_reset", now }),
      authEventStatement(deps.db, {
        userId: user.id,
        kind: "password_changed",
        detail: `kept ${caller.sessionId}`,
        now,
      }),
      ...notice.statements,
    ],
    [notice],
  );
  await closeStreams(deps, user.id);
}

/**
 * POST /v1/auth/password-reset: always 202, with the same work for an address with and without an
 * account (docs/security.md B13): one token is made and hashed, one batch runs whose token and mail
 * rows are written only when an account has the address, and one `mail.send` job is queued, which
 * finds no mail when none was written. The mail API is never called in the request.
 */
export async function requestPasswordReset(deps: AccountDeps, email: string, address: string): Promise<void> {
  await enforceLimit(deps.limits.account, `reset:${address}`);
  await enforceLimit(deps.limits.account, `reset:${email}`);
  const token = await newAccountToken(deps, "password_reset");
  const owner = sql`(SELECT ${users.id} FROM ${users} WHERE ${users.email} = ${email})`;
  const mail = stageMail(deps, passwordResetMail(deps.config.appUrl), {
    to: sql`(SELECT ${users.email} FROM ${users} WHERE ${users.email} = ${email})`,
    tokenId: token.id,
  });
  await commit(
    deps,
    [insertTokenStatement(deps, token, { userId: owner, purpose: "password_reset", email: null }), ...mail.statements],
    [mail],
  );
}

/**
 * POST /v1/auth/password-reset/confirm: the token is used once (of two concurrent confirms exactly
 * one wins: the claim), the password is set, and every session ends, sockets included.
 */
export async function confirmPasswordReset(deps: AccountDeps, input: z.infer<typeof ConfirmResetSchema>) {
  const tokenHash = await sha256Hex(input.token);
  // Hashed before the token is looked at, so a bad token costs what a good one does.
  const hash = await hashPassword(input.new_password, deps.config.passwordPepper);
  const now = deps.clock.now().toISOString();
  const claim = newId();
  const owner = claimed(claim, "user_id", "password_reset");
  const [consumed] = await deps.db.batch([
    consumeTokenStatement(deps.db, { tokenHash, purposes: ["password_reset"], claim, now }),
    // Following the link proves the address, so it counts as verified.
    deps.db
      .update(users)
      .set({
        password_hash: hash,
        email_verified_at: sql`coalesce(${users.email_verified_at}, ${now})`,
        updated_at: now,
      })
      .where(eq(users.id, owner)),
    revokeFamiliesStatement(deps.db, { userId: owner, now }),
    spendTokensStatement(deps.db, { userId: owner, purpose: "password_reset", now }),
  ]);
  const row = consumed[0];
  if (!row) throw badToken();
  await authEventStatement(deps.db, {
    userId: row.user_id,
    kind: "password_reset",
    detail: "every session ended",
    now,
  });
  await closeStreams(deps, row.user_id);
}

// ---------------------------------------------------------------------------------------------
// Sessions

export async function listSessions(deps: AccountDeps, caller: Caller): Promise<z.infer<typeof SessionInfoSchema>[]> {
  const rows = await listLiveSessions(deps.db, caller.userId, deps.clock.now().toISOString());
  return rows.map((r) => ({
    id: r.family_id,
    created_at: r.created_at,
    last_used_at: r.last_used_at,
    user_agent: r.user_agent ?? "Unknown browser",
    current: r.family_id === caller.sessionId,
  }));
}

/** DELETE /v1/me/sessions/{id}: ends one of the caller's live sessions; anyone else's is a 404. */
export async function endSession(deps: AccountDeps, caller: Caller, familyId: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  const live = await deps.db
    .select({ id: refreshTokens.id })
    .from(refreshTokens)
    .where(
      and(
        eq(refreshTokens.family_id, familyId),
        eq(refreshTokens.user_id, caller.userId),
        isNull(refreshTokens.revoked_at),
        isNull(refreshTokens.used_at),
        sql`${refreshTokens.expires_at} > ${now}`,
      ),
    )
    .limit(1);
  if (live.length === 0) throw notFound("session");
  await revokeFamily(deps.db, { family_id: familyId, user_id: caller.userId, now, reason: "session_ended" });
  await closeStreams(deps, caller.userId);
}

/** POST /v1/me/sessions/revoke-others: every session but the caller's ends. */
export async function endOtherSessions(deps: AccountDeps, caller: Caller): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.db.batch([
    revokeFamiliesStatement(deps.db, { userId: caller.userId, keepFamilyId: caller.sessionId, now }),
    authEventStatement(deps.db, {
      userId: caller.userId,
      kind: "other_sessions_ended",
      detail: `kept ${caller.sessionId}`,
      now,
    }),
  ]);
  await closeStreams(deps, caller.userId);
}
