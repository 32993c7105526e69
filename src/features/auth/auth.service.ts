import type { z } from "@hono/zod-openapi";
import { users } from "../../db/schema";
import { ApiError } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { isoPlusSeconds } from "../../platform/clock";
import { randomToken, sha256Hex } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db";
import { newId } from "../../platform/ids";
import { signupAttemptMail, verifyEmailMail } from "../account/mail-templates";
import { insertTokenStatement, newAccountToken, stageMail } from "../account/mailing";
import { summarizeUserAgent } from "../account/user-agent";
import { endSuspensionIfOver } from "../moderation/suspension";
import { holdUsernameStatement, usernameHeld } from "../users/reserved-names";
import { findUserById } from "../users/users.repo";
import { type Me, purgeDueAt, toMe } from "../users/users.service";
import {
  findRefreshToken,
  findUserByLogin,
  insertRefreshToken,
  type NewRefreshToken,
  revokeFamily,
  rotateRefreshToken,
} from "./auth.repo";
import type { LoginSchema, SessionSchema, SignupAcceptedSchema, SignupSchema } from "./auth.schema";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./password";
import { type Role, signAccessToken } from "./tokens";

export type AuthDeps = Pick<Platform, "db" | "config" | "clock" | "limits" | "origin" | "outbox">;

/** A sign-up attempt on a taken email holds the attempted name this long (see `signup`). */
const ATTEMPTED_NAME_HOLD_SECONDS = 30 * 24 * 3600;

type Session = z.infer<typeof SessionSchema>;

const invalidCredentials = () => new ApiError("unauthorized", "Wrong login or password.");
const invalidRefresh = () => new ApiError("unauthorized", "The refresh token is not valid.");

/** A new opaque refresh token; only its SHA-256 is stored. */
async function mintRefreshToken(deps: AuthDeps, now: Date) {
  const token = randomToken(32);
  const fields = {
    id: newId(now.getTime()),
    token_hash: await sha256Hex(token),
    created_at: now.toISOString(),
    expires_at: isoPlusSeconds(now, deps.config.refreshTtlSeconds),
  };
  return { token, fields };
}

/** The first token of a new family (one family per sign-in), with the session's summary. */
async function startFamily(
  deps: AuthDeps,
  userId: string,
  now: Date,
  userAgent: string | undefined,
): Promise<{ token: string; row: NewRefreshToken }> {
  const { token, fields } = await mintRefreshToken(deps, now);
  return {
    token,
    row: {
      ...fields,
      family_id: newId(now.getTime()),
      user_id: userId,
      family_created_at: fields.created_at,
      user_agent: summarizeUserAgent(userAgent),
    },
  };
}

async function session(
  deps: AuthDeps,
  user: Me,
  issued: { token: string; familyId: string; role: Role },
  now: Date,
): Promise<Session> {
  return {
    user,
    access_token: await signAccessToken(
      deps.config.jwt,
      { userId: user.id, sessionId: issued.familyId, role: issued.role },
      now,
    ),
    refresh_token: issued.token,
    token_type: "Bearer",
    expires_in: deps.config.jwt.accessTtlSeconds,
  };
}

/** What every accepted sign-up answers, whether or not the email already had an account. */
export type SignupAccepted = z.infer<typeof SignupAcceptedSchema>;

/**
 * Sign-up answers 202 "check your email" for a free and for a taken email alike (docs/security.md
 * B13): a free one gets the account and a verification link; a taken one creates nothing, mails the
 * address's owner that someone tried, and holds the attempted username for the owner for 30 days,
 * so that signing the same name up again (409 once an account has it) does not tell the two apart.
 * Both paths hash the password. There is no session in the answer: the client signs in (login
 * works before the address is verified). A taken username still answers 409: names are public.
 */
export async function signup(
  deps: AuthDeps,
  input: z.infer<typeof SignupSchema>,
  address: string,
): Promise<SignupAccepted> {
  await enforceLimit(deps.limits.signupByAddress, `signup:${address}`);
  // Per account too: hammering one name or email from many addresses is throttled as well.
  await enforceLimit(deps.limits.loginByAccount, `signup:${input.username}`);
  await enforceLimit(deps.limits.loginByAccount, `signup:${input.email}`);
  const now = deps.clock.now();
  const nameTaken = () => new ApiError("conflict", "That username is already taken.");
  if (await usernameHeld(deps.db, input.username, null, now.toISOString())) throw nameTaken();
  const userId = newId(now.getTime());
  const user = {
    id: userId,
    username: input.username,
    email: input.email,
    display_name: input.display_name ?? "",
    password_hash: await hashPassword(input.password, deps.config.passwordPepper),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  const token = await newAccountToken(deps, "verify_email");
  const mail = stageMail(deps, verifyEmailMail(deps.config.appUrl, user.username), {
    to: user.email,
    tokenId: token.id,
  });
  try {
    await deps.db.batch([
      deps.db.insert(users).values(user),
      insertTokenStatement(deps, token, { userId, purpose: "verify_email", email: user.email }),
      ...mail.statements,
    ]);
    await deps.outbox.deliver(mail.outboxIds);
  } catch (err) {
    // The unique indexes decide races: of concurrent sign-ups for one name, one insert wins.
    if (!isUniqueViolation(err)) throw err;
    if (await findUserByLogin(deps.db, { username: user.username })) throw nameTaken();
    const attempt = stageMail(deps, signupAttemptMail(deps.config.appUrl), { to: user.email });
    await deps.db.batch([
      holdUsernameStatement(deps.db, {
        username: user.username,
        ownerEmail: user.email,
        until: isoPlusSeconds(now, ATTEMPTED_NAME_HOLD_SECONDS),
      }),
      ...attempt.statements,
    ]);
    await deps.outbox.deliver(attempt.outboxIds);
  }
  return { status: "check_email", email: user.email };
}

export async function login(
  deps: AuthDeps,
  input: z.infer<typeof LoginSchema>,
  address: string,
  userAgent?: string,
): Promise<Session> {
  const loginKey = input.login.toLowerCase();
  // Both limits key on what the client sent, not on whether it names an account, so a 429 looks
  // the same for real and made-up logins.
  await enforceLimit(deps.limits.loginByAddress, `login:${address}`);
  await enforceLimit(deps.limits.loginByAccount, `login:${loginKey}`);
  const user = await findUserByLogin(deps.db, loginKey.includes("@") ? { email: loginKey } : { username: loginKey });
  const ok = await verifyPassword(
    input.password,
    user?.password_hash ?? DUMMY_PASSWORD_HASH,
    deps.config.passwordPepper,
  );
  if (!user || !ok) throw invalidCredentials();
  const now = deps.clock.now();
  // An account whose deletion is pending may sign in within the grace period (its session reaches
  // only GET /v1/me and POST /v1/me/restore); after it, the account is as good as gone
  // (docs/accounts.md).
  if (
    user.deleted_at !== null &&
    purgeDueAt(user.deleted_at, deps.config.accountDeletionGraceDays) <= now.toISOString()
  ) {
    throw invalidCredentials();
  }
  // Told only to whoever knows the password, so a suspension is not announced to anyone else.
  if (user.suspended_at !== null && !(await endSuspensionIfOver(deps, user, now))) {
    const until = user.suspended_until;
    throw new ApiError(
      "account_suspended",
      until ? `This account is suspended until ${until}.` : "This account is suspended.",
      { extensions: { suspended_until: until, reason: user.suspension_reason } },
    );
  }
  const { token, row } = await startFamily(deps, user.id, now, userAgent);
  await insertRefreshToken(deps.db, row);
  return session(deps, await toMe(deps, user), { token, familyId: row.family_id, role: user.role }, now);
}

export async function refresh(deps: AuthDeps, presented: string): Promise<Session> {
  const now = deps.clock.now();
  const presentedHash = await sha256Hex(presented);
  const next = await mintRefreshToken(deps, now);
  const rotated = await rotateRefreshToken(deps.db, { presentedHash, successor: next.fields, now: now.toISOString() });
  if (!rotated) {
    const known = await findRefreshToken(deps.db, presentedHash);
    if (known?.used_at && !known.revoked_at) {
      // A rotated token came back: either it was stolen or the client lost the race with a thief.
      // Either way no one in this family can be trusted (RFC 9700 §4.14.2).
      await revokeFamily(deps.db, {
        family_id: known.family_id,
        user_id: known.user_id,
        now: now.toISOString(),
        reason: "refresh_token_reuse",
      });
    }
    throw invalidRefresh();
  }
  const row = await findUserById(deps.db, rotated.user_id);
  // A suspension revokes every family, so a suspended account cannot get here; this is the belt.
  if (!row || row.suspended_at !== null) throw invalidRefresh();
  // A session started within a deletion's grace period ends with it (docs/accounts.md).
  if (
    row.deleted_at !== null &&
    purgeDueAt(row.deleted_at, deps.config.accountDeletionGraceDays) <= now.toISOString()
  ) {
    throw invalidRefresh();
  }
  return session(deps, await toMe(deps, row), { token: next.token, familyId: rotated.family_id, role: row.role }, now);
}

export async function logout(deps: AuthDeps, presented: string): Promise<void> {
  const known = await findRefreshToken(deps.db, await sha256Hex(presented));
  if (!known || known.revoked_at) return;
  await revokeFamily(deps.db, {
    family_id: known.family_id,
    user_id: known.user_id,
    now: deps.clock.now().toISOString(),
    reason: "logout",
  });
}
