import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A data export (docs/data-export.md): one ZIP of everything an account holds, built by the
 * `export.build` job into R2 under `object_key` through a multipart upload. `upload_id` is the
 * multipart upload in progress, so a retried job can abort what a crashed attempt left behind.
 * `expires_at` is when the object is deleted (the hourly cron) and the download URL stops working.
 */
export const dataExports = sqliteTable(
  "exports",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull(),
    status: text("status", { enum: ["pending", "ready", "failed"] }).notNull(),
    object_key: text("object_key").notNull(),
    upload_id: text("upload_id"),
    size_bytes: integer("size_bytes"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    created_at: text("created_at").notNull(),
    completed_at: text("completed_at"),
    expires_at: text("expires_at"),
  },
  (t) => [
    // The account's latest export (the 24-hour limit, GET /v1/me/export).
    index("exports_user_idx").on(t.user_id, t.created_at),
    // The hourly clean-up of expired objects.
    index("exports_expires_idx").on(t.expires_at).where(sql`expires_at IS NOT NULL`),
  ],
);

export type DataExportRow = typeof dataExports.$inferSelect;
