import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * An uploaded image. Lifecycle: `pending` (upload URL issued) → `uploaded` (bytes in R2) →
 * `processing` (validated; job queued) → `ready` (metadata-free master and thumbhash stored) or
 * `failed`. `attached_at` is set when a post or avatar uses it; unattached media is deleted after
 * 24 hours. The original is deleted once the master exists; neither is ever served as is.
 */
export const media = sqliteTable(
  "media",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").notNull(),
    status: text("status", { enum: ["pending", "uploaded", "processing", "ready", "failed"] }).notNull(),
    declaredType: text("declared_type").notNull(),
    declaredSize: integer("declared_size").notNull(),
    /** The type sniffed from the bytes; the only type ever trusted. */
    contentType: text("content_type"),
    byteSize: integer("byte_size"),
    width: integer("width"),
    height: integer("height"),
    thumbhash: text("thumbhash"),
    originalKey: text("original_key").notNull(),
    masterKey: text("master_key"),
    error: text("error"),
    attachedAt: text("attached_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("media_owner_created_idx").on(t.ownerId, t.createdAt),
    index("media_orphans_idx").on(t.createdAt).where(sql`attached_at IS NULL`),
  ],
);

export type MediaRow = typeof media.$inferSelect;

/** Jobs that could not be done: malformed messages and messages that exhausted their retries. */
export const failedJobs = sqliteTable(
  "failed_jobs",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    body: text("body").notNull(),
    error: text("error").notNull(),
    attempts: integer("attempts").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("failed_jobs_created_idx").on(t.createdAt)],
);
