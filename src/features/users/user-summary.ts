import { z } from "@hono/zod-openapi";
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { users } from "../../db/schema";
import type { Platform } from "../../platform";
import { avatarUrls } from "../media/media.service";

/**
 * An account as other people see it in lists, cards, comments, stories and conversations: one
 * schema, one SQL expression, one row type and one mapper, used by every feature.
 */
export const AvatarSchema = z.object({ thumb: z.string(), small: z.string() }).openapi("Avatar", {
  description: "Signed, expiring URLs of the avatar at 150 and 320 px (format chosen by Accept)",
});

/**
 * The `avatar` field of summaries and profiles. A union, not `.nullable()`: the OpenAPI generator
 * drops null from a nullable registered schema.
 */
export const AvatarFieldSchema = z
  .union([AvatarSchema, z.null()])
  .openapi({ description: "Null when the account has no avatar" });

export const UserSummarySchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string(),
    avatar_media_id: z.string().nullable(),
    avatar: AvatarFieldSchema,
    is_private: z.boolean(),
  })
  .openapi("UserSummary");

export type UserSummary = z.infer<typeof UserSummarySchema>;

/**
 * A summary as it comes back from SQL: the schema's columns, with `is_private` as SQLite stores it
 * (0/1 in a raw row or JSON; a boolean where drizzle's builder mapped it).
 */
export type UserSummaryRow = Pick<typeof users.$inferSelect, "id" | "username" | "display_name" | "avatar_media_id"> & {
  is_private: number | boolean;
};

type UserColumns = { [K in "id" | "username" | "display_name" | "avatar_media_id" | "is_private"]: SQLWrapper };

/** The summary of the account in `u` (the users table or an alias of it) as one JSON column. */
export function userSummaryJson(u: UserColumns): SQL<string> {
  return sql<string>`json_object('id', ${u.id}, 'username', ${u.username}, 'display_name', ${u.display_name},
    'avatar_media_id', ${u.avatar_media_id}, 'is_private', ${u.is_private})`;
}

/** What signing the avatar URLs needs. */
export type SummaryDeps = Pick<Platform, "config" | "clock" | "origin">;

/** The avatar's URL set for the account `userId`, or null without one (its owner is the account). */
export async function avatarOf(deps: SummaryDeps, userId: string, avatarMediaId: string | null) {
  return avatarMediaId === null ? null : avatarUrls(deps, userId, avatarMediaId);
}

export async function toUserSummary(deps: SummaryDeps, row: UserSummaryRow): Promise<UserSummary> {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    avatar_media_id: row.avatar_media_id,
    avatar: await avatarOf(deps, row.id, row.avatar_media_id),
    is_private: row.is_private === true || row.is_private === 1,
  };
}

/** A summary selected with `userSummaryJson`. */
export const parseUserSummary = (deps: SummaryDeps, json: string): Promise<UserSummary> =>
  toUserSummary(deps, JSON.parse(json) as UserSummaryRow);
