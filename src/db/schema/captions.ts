import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * AI caption and alt-text suggestions for one image with one set of options (docs/captions.md).
 * One row per (media, options): asking again with the same options answers this row, a changed
 * option makes another. `claimed_until` keeps two deliveries of the job from both calling the
 * provider; `requested_at` says which row is the image's current one.
 */
export const captionJobs = sqliteTable(
  "caption_jobs",
  {
    id: text("id").primaryKey(),
    media_id: text("media_id").notNull(),
    owner_id: text("owner_id").notNull(),
    /** SHA-256 of the normalised options. */
    options_key: text("options_key").notNull(),
    tone: text("tone", { enum: ["casual", "playful", "poetic", "minimal", "professional"] }).notNull(),
    language: text("language").notNull(),
    hint: text("hint").notNull().default(""),
    status: text("status", { enum: ["pending", "ready", "failed"] }).notNull(),
    /** JSON: `[{caption, hashtags}]`, shortest first. */
    suggestions: text("suggestions"),
    alt_text: text("alt_text"),
    model: text("model"),
    error: text("error"),
    input_tokens: integer("input_tokens"),
    output_tokens: integer("output_tokens"),
    attempts: integer("attempts").notNull().default(0),
    claimed_until: text("claimed_until"),
    created_at: text("created_at").notNull(),
    requested_at: text("requested_at").notNull(),
    generated_at: text("generated_at"),
  },
  (t) => [
    uniqueIndex("caption_jobs_options_uq").on(t.media_id, t.options_key),
    index("caption_jobs_media_idx").on(t.media_id, t.requested_at),
    // The daily quota counts an account's jobs of the last 24 hours; the pending cap its open ones.
    index("caption_jobs_owner_idx").on(t.owner_id, t.created_at),
    index("caption_jobs_pending_idx").on(t.owner_id).where(sql`status = 'pending'`),
  ],
);
