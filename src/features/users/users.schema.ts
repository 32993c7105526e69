import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { AvatarFieldSchema } from "./user-summary";

/**
 * Instagram's rules: 1-30 of [a-z0-9._], accepted in any case and stored lower case (unique
 * case-insensitively), with no '.' first or last and never two in a row. So no name is made of dots
 * alone, and none is a URL dot segment ('.' or '..') that path normalisation would drop from
 * `/v1/users/{username}/…` (docs/security.md C6). Names stored before this rule were renamed by
 * migrations/0012_rename_dot_usernames.sql. Dot-separated runs of [a-z0-9_]: one character class
 * per run, so matching is linear.
 */
export const USERNAME_MAX = 30;
export const USERNAME_PATTERN = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;
const USERNAME_RULE = `1-${USERNAME_MAX} characters of a-z, 0-9, '.' and '_'; no '.' first, last or twice in a row`;
export const BIO_MAX = 150;
export const DISPLAY_NAME_MAX = 64;

export const UsernameSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.string().max(USERNAME_MAX, USERNAME_RULE).regex(USERNAME_PATTERN, USERNAME_RULE))
  .openapi({ example: "alice.b", description: `${USERNAME_RULE} (case-insensitive)` });

export const RelationshipSchema = z
  .object({
    following: z.boolean(),
    followed_by: z.boolean(),
    requested: z.boolean(),
    blocking: z.boolean(),
    muting: z.boolean(),
    close_friend: z.boolean(),
  })
  .openapi("Relationship");

export const ProfileSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    display_name: z.string(),
    bio: z.string(),
    avatar_media_id: z.string().nullable(),
    avatar: AvatarFieldSchema,
    is_private: z.boolean(),
    followers_count: z.number().int(),
    following_count: z.number().int(),
    posts_count: z.number().int(),
    created_at: z.string(),
    relationship: z.union([RelationshipSchema, z.null()]).openapi({
      description: "The caller's relationship; null when anonymous",
    }),
  })
  .openapi("Profile");

export const MeSchema = ProfileSchema.omit({ relationship: true })
  .extend({
    email: z.string(),
    email_verified: z.boolean().openapi({ description: "Whether `email` was proven by a mailed link" }),
    deletion_scheduled_for: z.string().nullable().openapi({
      description:
        "When the account will be purged, if its owner asked for its deletion (restore it before then with POST /v1/me/restore); null otherwise",
    }),
  })
  .openapi("Me");

export const UpdateMeSchema = z
  .strictObject({
    username: UsernameSchema.optional().openapi({
      description:
        "A new username (sign-up's rules). The old one is held for this account for 14 days, so links to it do not reach someone else; a few changes a minute at most.",
    }),
    display_name: userText().trim().max(DISPLAY_NAME_MAX).optional(),
    bio: userText().max(BIO_MAX).optional(),
    is_private: z.boolean().optional(),
    avatar_media_id: z.string().max(64).nullable().optional(),
  })
  .openapi("UpdateMe");

export const UsernameParamSchema = z.strictObject({
  username: z
    .string()
    .max(64)
    .openapi({ param: { name: "username", in: "path" }, example: "alice" }),
});
