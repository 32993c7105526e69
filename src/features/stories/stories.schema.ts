import { z } from "@hono/zod-openapi";
import { pageOf } from "../../http/cursor";
import { userText } from "../../http/text";
import { ClientIdSchema, MessageBodySchema } from "../chat/chat.protocol";
import { ALT_TEXT_MAX, ModerationFieldSchema, PostMediaSchema } from "../posts/posts.schema";
import { UserSummarySchema } from "../users/user-summary";

export const MAX_ACTIVE_STORIES = 20;
export const STORY_CAPTION_MAX = 2200;
export const HIGHLIGHT_TITLE_MAX = 64;
export const HIGHLIGHT_MAX_STORIES = 100;

export const StoryAudienceSchema = z.enum(["followers", "close_friends"]).openapi({
  description: "`followers`: whoever may see your posts (anyone, for a public account); `close_friends`: your list",
});

export const CreateStorySchema = z
  .strictObject({
    media_id: z.string().min(1).max(64),
    audience: StoryAudienceSchema.default("followers"),
    caption: userText().max(STORY_CAPTION_MAX).optional(),
    alt_text: userText()
      .max(ALT_TEXT_MAX)
      .optional()
      .openapi({ description: "The image described for people who cannot see it (screen readers)" }),
  })
  .openapi("CreateStory");

export const StorySchema = z
  .object({
    id: z.string(),
    author: UserSummarySchema,
    media: PostMediaSchema.extend({
      alt_text: z.string().openapi({ description: "The author's description of the image; empty when they gave none" }),
    }),
    caption: z.string(),
    audience: StoryAudienceSchema,
    created_at: z.string(),
    expires_at: z.string(),
    expired: z.boolean(),
    view_count: z.number().int().nullable().openapi({ description: "For the author only; null for others" }),
    moderation: ModerationFieldSchema,
  })
  .openapi("Story");

export const StoryListSchema = z.object({ items: z.array(StorySchema) }).openapi("StoryList");
export const StoryPageSchema = pageOf(StorySchema).openapi("StoryPage");

export const TrayEntrySchema = z
  .object({
    user: UserSummarySchema,
    has_unseen: z.boolean(),
    latest_at: z.string(),
    story_count: z.number().int().openapi({ description: "0 for a followed account that is live with no story up" }),
    live: z.boolean().openapi({
      description: "The account has a live session now that you may see (`GET /v1/live` lists them)",
    }),
  })
  .openapi("StoryTrayEntry");

export const TraySchema = z.object({ items: z.array(TrayEntrySchema) }).openapi("StoryTray", {
  description: "Your own entry first, then live accounts, then unseen before seen, then most recent",
});

export const StoryViewerSchema = UserSummarySchema.extend({ viewed_at: z.string() }).openapi("StoryViewer");
export const StoryViewersSchema = pageOf(StoryViewerSchema)
  .extend({ view_count: z.number().int() })
  .openapi("StoryViewers");

export const StoryIdParamSchema = z.strictObject({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const CreateHighlightSchema = z
  .strictObject({
    title: userText().trim().min(1).max(HIGHLIGHT_TITLE_MAX),
    story_ids: z.array(z.string().min(1).max(64)).min(1).max(HIGHLIGHT_MAX_STORIES),
  })
  .openapi("CreateHighlight");

export const HighlightSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    stories: z.array(StorySchema),
    created_at: z.string(),
  })
  .openapi("Highlight");

export const HighlightPageSchema = pageOf(HighlightSchema).openapi("HighlightPage");

export const StoryReplySchema = z
  .strictObject({ body: MessageBodySchema, client_id: ClientIdSchema.optional() })
  .openapi("StoryReply");
