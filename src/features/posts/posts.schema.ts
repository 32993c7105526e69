import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { UserSummarySchema } from "../users/user-summary";

export const CAPTION_MAX = 2200;
export const ALT_TEXT_MAX = 1000;
export const MAX_HASHTAGS = 30;
export const MAX_MENTIONS = 20;
export const MAX_MEDIA = 10;
export const COMMENT_MAX = 2200;

const chars = (max: number) => userText().refine((s) => [...s].length <= max, { message: `at most ${max} characters` });

export const AudienceSchema = z.enum(["public", "followers", "close_friends"]);

export const ModerationMarkSchema = z
  .object({
    hidden: z.literal(true),
    reason: z.string().openapi({ description: "Why staff hid it, as the author is told" }),
  })
  .openapi("ModerationMark");

/**
 * The `moderation` field of posts, comments and stories. A union, not `.nullable()`: the OpenAPI
 * generator drops null from a nullable registered schema.
 */
export const ModerationFieldSchema = z.union([ModerationMarkSchema, z.null()]).openapi({
  description:
    "Set when staff hid it (docs/moderation.md). Hidden content answers 404 to everyone but its author and staff, " +
    "so this is non-null only for them: on its single read, and in the author's own profile grid. Null otherwise.",
});

/** The `moderation` field for a row with `hidden_at`/`hidden_reason`. */
export function moderationMark(row: { hidden_at: string | null; hidden_reason: string | null }) {
  return row.hidden_at === null ? null : { hidden: true as const, reason: row.hidden_reason ?? "" };
}

export const CreatePostSchema = z
  .strictObject({
    media_ids: z.array(z.string().max(64)).min(1).max(MAX_MEDIA),
    caption: chars(CAPTION_MAX).optional(),
    alt_texts: z.array(chars(ALT_TEXT_MAX)).max(MAX_MEDIA).optional(),
    location: userText().trim().min(1).max(100).optional(),
    audience: AudienceSchema.optional().openapi({
      description: "Default: followers for a private account, else public",
    }),
  })
  .openapi("CreatePost");

export const UpdatePostSchema = z.strictObject({ caption: chars(CAPTION_MAX) }).openapi("UpdatePost");

export const PostMediaSchema = z
  .object({
    id: z.string(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    thumbhash: z.string().nullable(),
    alt_text: z.string(),
    urls: z.object({ thumb: z.string(), small: z.string(), medium: z.string(), large: z.string() }),
  })
  .openapi("PostMedia");

export const PostSchema = z
  .object({
    id: z.string(),
    author: UserSummarySchema,
    caption: z.string(),
    location: z.string().nullable(),
    audience: AudienceSchema,
    hashtags: z.array(z.string()),
    mentions: z.array(z.string()),
    media: z.array(PostMediaSchema),
    like_count: z.number().int(),
    comment_count: z.number().int(),
    viewer: z.object({ liked: z.boolean(), saved: z.boolean() }).nullable(),
    moderation: ModerationFieldSchema,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Post");

export const PostIdParamSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const CommentSchema = z
  .object({
    id: z.string(),
    post_id: z.string(),
    author: UserSummarySchema,
    body: z.string(),
    reply_to: z.string().nullable(),
    reply_count: z.number().int(),
    moderation: ModerationFieldSchema,
    created_at: z.string(),
  })
  .openapi("Comment");

export const CreateCommentSchema = z
  .strictObject({
    body: chars(COMMENT_MAX).refine((s) => s.trim().length > 0, { message: "must not be empty" }),
    reply_to: z.string().max(64).optional(),
  })
  .openapi("CreateComment");

export const LikeStateSchema = z.object({ liked: z.boolean(), like_count: z.number().int() }).openapi("LikeState");
export const SaveStateSchema = z.object({ saved: z.boolean() }).openapi("SaveState");
