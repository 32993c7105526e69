import type { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { moderationCheck } from "../../platform/jobs";
import { canSeeAccount, visibleBio } from "../../policy";
import { approveRequests, type RelationshipFlags, relationshipFlags } from "../graph/graph.repo";
import { loadRelation } from "../graph/relations.repo";
import { attachMedia } from "../media/media.repo";
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
  const { email: _email, deletion_scheduled_for: _deletion, ...publicFields } = await toMe(deps, row);
  const bio = visibleBio(viewerId === row.id, row.bio, row.bio_hidden_at !== null);
  return { ...publicFields, bio, relationship };
}

export type UsersDeps = Pick<Platform, "db" | "clock" | "config" | "origin">;
type UpdateMeDeps = UsersDeps & Pick<Platform, "outbox">;

export async function getMe(deps: UsersDeps, userId: string): Promise<Me> {
  const row = await findUserById(deps.db, userId);
  // A valid token for an account that no longer exists is no longer a valid session.
  if (!row) throw new ApiError("unauthorized", "The account for this token no longer exists.");
  return toMe(deps, row);
}

/** A new, non-empty bio is checked by automatic moderation (docs/moderation.md), staged with the change. */
export async function updateMe(deps: UpdateMeDeps, userId: string, input: z.infer<typeof UpdateMeSchema>): Promise<Me> {
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
  if (!row) throw new ApiError("unauthorized", "The account for this token no longer exists.");
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
