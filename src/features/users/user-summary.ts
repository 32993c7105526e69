import { z } from "@hono/zod-openapi";
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { users } from "../../db/schema";

/**
 * An account as other people see it in lists, cards, comments, stories and conversations: one
 * schema, one SQL expression, one row type and one mapper, used by every feature.
 */
export const UserSummarySchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string(),
    avatar_media_id: z.string().nullable(),
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

export function toUserSummary(row: UserSummaryRow): UserSummary {
  return {
    id: row.id,
    username: row.username,
    display_name: row.display_name,
    avatar_media_id: row.avatar_media_id,
    is_private: row.is_private === true || row.is_private === 1,
  };
}

/** A summary selected with `userSummaryJson`. */
export const parseUserSummary = (json: string): UserSummary => toUserSummary(JSON.parse(json) as UserSummaryRow);
