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
    owner_id: text("owner_id").notNull(),
    status: text("status", { enum: ["pending", "uploaded", "processing", "ready", "failed"] }).notNull(),
    declared_type: text("declared_type").notNull(),
    declared_size: integer("declared_size").notNull(),
    /** The type sniffed from the bytes; the only type ever trusted. */
    content_type: text("content_type"),
    byte_size: integer("byte_size"),
    width: integer("width"),
    height: integer("height"),
    thumbhash: text("thumbhash"),
    original_key: text("original_key").notNull(),
    master_key: text("master_key"),
    /**
     * The R2 etag of the original `complete` validated. The media job reads only that version, so
     * bytes written to the upload key afterwards (a late PUT, a still-valid presigned URL) are
     * never processed (docs/security.md G8, G9).
     */
    validated_etag: text("validated_etag"),
    error: text("error"),
    /** SHA-256 (hex) and 64-bit dHash (16 hex digits) of the upload, for the media blocklist. */
    sha256: text("sha256"),
    dhash: text("dhash"),
    attached_at: text("attached_at"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    index("media_owner_created_idx").on(t.owner_id, t.created_at),
    index("media_orphans_idx").on(t.created_at).where(sql`attached_at IS NULL`),
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
    created_at: text("created_at").notNull(),
  },
  (t) => [index("failed_jobs_created_idx").on(t.created_at)],
);
