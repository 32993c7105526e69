import { z } from "@hono/zod-openapi";
import { PageQuerySchema } from "../../http/cursor";
import { normaliseTag } from "../posts/tags";
import { TOP_WINDOW_DAYS } from "./scores";

export const TagParamSchema = z.strictObject({
  tag: z
    .string()
    .max(400)
    .refine((t) => normaliseTag(t) !== null, {
      message: "A tag is letters, marks, digits or _ (1-100, not digits alone), with or without a leading #.",
    })
    .openapi({
      param: { name: "tag", in: "path" },
      example: "café",
      description: "A hashtag, with or without its #; matched as posts store it (NFKC, lower case)",
    }),
});

export const TagPostsQuerySchema = PageQuerySchema.extend({
  sort: z
    .enum(["recent", "top"])
    .default("recent")
    .openapi({
      description: `recent: newest first; top: the last ${TOP_WINDOW_DAYS} days' posts by engagement decayed with age`,
    }),
});

export const TagSchema = z
  .object({
    tag: z.string(),
    post_count: z.number().int().openapi({ description: "Live posts with the tag (0 for a tag never used)" }),
    following: z.boolean().openapi({ description: "You follow the tag (false when anonymous)" }),
  })
  .openapi("Tag");

export const TagFollowStateSchema = z.object({ following: z.boolean() }).openapi("TagFollowState");

export const TrendSchema = z
  .object({
    tag: z.string(),
    rank: z.number().int(),
    score: z.number().openapi({ description: "(observed − expected)² / expected, see docs/search.md" }),
    uses_today: z.number().int(),
    expected: z.number().openapi({ description: "Expected uses a day from the last 7 days, decayed" }),
  })
  .openapi("Trend");

export const TrendsSchema = z
  .object({
    items: z.array(TrendSchema),
    computed_at: z.string().nullable().openapi({ description: "When the hourly refresh computed them" }),
  })
  .openapi("Trends");
