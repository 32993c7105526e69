import { z } from "@hono/zod-openapi";
import { MAX_PAGE_SIZE } from "../../http/cursor";
import { PostSchema } from "../posts/posts.schema";
import { UserSummarySchema } from "../users/user-summary";

export const SearchQuerySchema = z.strictObject({
  q: z
    .string()
    .max(100)
    .openapi({ description: "What to look for; quoted as a phrase (operators are searched for, not run)" }),
  type: z.enum(["accounts", "tags", "posts"]).default("accounts"),
  cursor: z.string().max(512).optional().openapi({ description: "Opaque cursor from next_cursor" }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});

export const TagResultSchema = z.object({ tag: z.string(), post_count: z.number().int() }).openapi("TagResult");

export const AccountSearchPageSchema = z
  .object({ items: z.array(UserSummarySchema), next_cursor: z.string().nullable() })
  .openapi("AccountSearchPage");
export const TagSearchPageSchema = z
  .object({ items: z.array(TagResultSchema), next_cursor: z.string().nullable() })
  .openapi("TagSearchPage");
export const PostSearchPageSchema = z
  .object({ items: z.array(PostSchema), next_cursor: z.string().nullable() })
  .openapi("PostSearchPage");

export const SearchPageSchema = z
  .union([AccountSearchPageSchema, TagSearchPageSchema, PostSearchPageSchema])
  .openapi("SearchPage", { description: "Accounts, tags or posts, as `type` asked" });
