import { ApiError } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { verifyPassword } from "../auth/password";
import { closeStreams } from "../moderation/suspension";
import { findUserById } from "../users/users.repo";
import { type Me, purgeDueAt, toMe } from "../users/users.service";
import { clearDeletion, markDeleted } from "./deletion.repo";

export type DeletionDeps = Pick<Platform, "db" | "clock" | "config" | "limits" | "realtime" | "stream" | "origin">;

/** The `deleted_at` before which an account's grace period is over (docs/accounts.md). */
export function graceCutoff(now: Date, graceDays: number): string {
  return new Date(now.getTime() - graceDays * 86_400_000).toISOString();
}

/**
 * `DELETE /v1/me`: the owner asks for the account's deletion (docs/accounts.md). One batch marks the
 * account (from then on every read hides it and everything it made, through the policy's account
 * rule, as for a suspension) and revokes every refresh family (its access tokens are refused on
 * their next request by the session check); then every open stream is closed. The purge comes
 * after the grace period, from the hourly cron.
 *
 * A wrong password answers 401 and counts against the login limits (the same keys as a sign-in
 * with the account's username), so the route is no faster way to guess it.
 */
export async function requestDeletion(
  deps: DeletionDeps,
  userId: string,
  password: string,
  address: string,
): Promise<{ deletion_scheduled_for: string }> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new ApiError("unauthorized", "The account for this token no longer exists.");
  await enforceLimit(deps.limits.loginByAddress, `login:${address}`);
  await enforceLimit(deps.limits.loginByAccount, `login:${user.username}`);
  if (!(await verifyPassword(password, user.password_hash, deps.config.passwordPepper))) {
    throw new ApiError("unauthorized", "Wrong password.");
  }
  const now = deps.clock.now().toISOString();
  await markDeleted(deps.db, userId, now);
  await closeStreams(deps, userId);
  return { deletion_scheduled_for: purgeDueAt(now, deps.config.accountDeletionGraceDays) };
}

/**
 * `POST /v1/me/restore`: within the grace period, the account comes back as it was (nothing has
 * been erased yet). Conditional on the grace period not being over, the same cutoff the cron uses
 * to queue the purge, so an account is never both restored and purged.
 */
export async function restoreAccount(deps: DeletionDeps, userId: string): Promise<Me> {
  const now = deps.clock.now();
  const cutoff = graceCutoff(now, deps.config.accountDeletionGraceDays);
  const row = await clearDeletion(deps.db, userId, cutoff, now.toISOString());
  if (!row) {
    const user = await findUserById(deps.db, userId);
    if (user?.deleted_at === null) throw new ApiError("conflict", "The account is not scheduled for deletion.");
    throw new ApiError("conflict", "The grace period is over: the account is being deleted.");
  }
  return toMe(deps, row);
}
