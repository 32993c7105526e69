import type { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { UserRow } from "../../db/schema";
import { users } from "../../db/schema";
import { ApiError, invalidToken, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { isoPlusSeconds } from "../../platform/clock";
import { isUniqueViolation } from "../../platform/db";
import { moderationCheck } from "../../platform/jobs";
import { canSeeAccount, visibleBio } from "../../policy";
import { approveRequests, type RelationshipFlags, relationshipFlags } from "../graph/graph.repo";
import { loadRelation } from "../graph/relations.repo";
import { attachMedia } from "../media/media.repo";
import { holdOwnNameStatement, RENAMED_NAME_HOLD_SECONDS, releaseNameStatement, usernameHeld } from "./reserved-names";
import { avatarOf, type SummaryDeps } from "./user-summary";
import { findUserById, findUserByUsername, updateUser } from "./users.repo";
import type { MeSchema, ProfileSchema, UpdateMeSchema } from "./users.schema";

export type Me = z.infer<typeof MeSchema>;
export type Profile = z.infer<typeof ProfileSchema>;

/** When an account deleted at `deletedAt` is purged: the grace period later (docs/accounts.md). */
export function purgeDueAt(deletedAt: string, graceDays: number): string {
  return new Date(Date.parse(deletedAt) + graceDays * 86_400_000).toISOString();
}

/** The caller's own view of their account: the only place the email is shown. */
export async function toMe(deps: SummaryDeps, row: UserRow): Promise<Me> {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    bio: row.bio,
    avatar_media_id: row.avatar_media_id,
    avatar: await avatarOf(deps, row.id, row.avatar_media_id),
    is_private: row.is_private,
    followers_count: row.followers_count,
    following_count: row.following_count,
    posts_count: row.posts_count,
    created_at: row.created_at,
    email: row.email,
    email_verified: row.email_verified_at !== null,
    deletion_scheduled_for:
      row.deleted_at === null ? null : purgeDueAt(row.deleted_at, deps.config.accountDeletionGraceDays),
  };
}

/**
 * Another account as a caller sees it: public fields and counters, never email or hash; a bio
 * staff hid is empty for everyone but its owner.
 */
async function toProfile(
  deps: SummaryDeps,
  row: UserRow,
  viewerId: string | null,
  relationship: RelationshipFlags | null,
): Promise<Profile> {
  const {
    email: _email,
    email_verified: _verified,
    deletion_scheduled_for: _deletion,
    ...publicFields
  } = await toMe(deps, row);
  const bio = visibleBio(viewerId === row.id, row.bio, row.bio_hidden_at !== null);
  return { ...publicFields, bio, relationship };
}

export type UsersDeps = Pick<Platform, "db" | "clock" | "config" | "origin" | "limits">;
type UpdateMeDeps = UsersDeps & Pick<Platform, "outbox">;

export async function getMe(deps: UsersDeps, userId: string): Promise<Me> {
  const row = await findUserById(deps.db, userId);
  // A valid token for an account that no longer exists is no longer a valid session.
  if (!row) throw invalidToken("The account for this token no longer exists.");
  return toMe(deps, row);
}

/**
 * A new username (README "Usernames"): sign-up's rules (the schema), not held for someone else,
 * not taken (the unique index decides races: 409). The old name is held for this account for 14
 * days in the same batch; taking back one's own held name releases the hold.
 */
async function rename(deps: UsersDeps, userId: string, username: string): Promise<void> {
  const current = await findUserById(deps.db, userId);
  if (!current) throw invalidToken("The account for this token no longer exists.");
  if (current.username === username) return;
  await enforceLimit(deps.limits.account, `rename:${userId}`);
  const now = deps.clock.now();
  const taken = () => new ApiError("conflict", "That username is already taken.");
  if (await usernameHeld(deps.db, username, userId, now.toISOString())) throw taken();
  try {
    await deps.db.batch([
      releaseNameStatement(deps.db, { username, userId, now: now.toISOString() }),
      deps.db
        .update(users)
        .set({ username, updated_at: now.toISOString() })
        .where(and(eq(users.id, userId), eq(users.username, current.username))),
      holdOwnNameStatement(deps.db, {
        username: current.username,
        userId,
        until: isoPlusSeconds(now, RENAMED_NAME_HOLD_SECONDS),
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
}

/** A new, non-empty bio is checked by automatic moderation (docs/moderation.md), staged with the change. */
export async function updateMe(deps: UpdateMeDeps, userId: string, input: z.infer<typeof UpdateMeSchema>): Promise<Me> {
  if (input.username !== undefined) await rename(deps, userId, input.username);
  if (input.avatar_media_id != null) {
    // Only a ready image the caller uploaded; using it also saves it from the orphan sweep.
    if (!(await attachMedia(deps.db, userId, input.avatar_media_id, deps.clock.now().toISOString()))) {
      throw new ApiError("validation_failed", "avatar_media_id does not name a ready image of yours.", {
        errors: [{ path: "avatar_media_id", message: "not a ready image of yours" }],
      });
    }
  }
  const check = input.bio?.trim() ? moderationCheck(deps.config, "user", userId) : [];
  const staged = check.length > 0 ? deps.outbox.stage(check) : undefined;
  const row = await updateUser(
    deps.db,
    userId,
    {
      ...(input.display_name !== undefined && { display_name: input.display_name }),
      ...(input.bio !== undefined && { bio: input.bio }),
      ...(input.is_private !== undefined && { is_private: input.is_private }),
      ...(input.avatar_media_id !== undefined && { avatar_media_id: input.avatar_media_id }),
      updated_at: deps.clock.now().toISOString(),
    },
    staged,
  );
  if (!row) throw invalidToken("The account for this token no longer exists.");
  if (staged) await deps.outbox.deliver(staged.ids);
  // Going public lets everyone who asked in: their requests become follows.
  if (
    input.is_private === false &&
    (await approveRequests(deps.db, { targetId: userId, now: row.updated_at })).approved > 0
  ) {
    const fresh = await findUserById(deps.db, userId);
    if (fresh) return toMe(deps, fresh);
  }
  return toMe(deps, row);
}

/**
 * A profile header: visible to anyone but the two sides of a block (private accounts show their
 * header and counts; their content is what the policy guards); a suspended account's to no one else.
 */
export async function getProfile(deps: UsersDeps, username: string, viewerId: string | null): Promise<Profile> {
  const row = await findUserByUsername(deps.db, username);
  if (!row || !canSeeAccount(await loadRelation(deps.db, viewerId, row))) throw notFound("user");
  return toProfile(deps, row, viewerId, viewerId === null ? null : await relationshipFlags(deps.db, viewerId, row.id));
}
