import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Trust and safety (docs/moderation.md). The model is Bluesky Ozone's: a *subject* (one reported
 * thing) has a status that the review queue lists, every staff or automatic decision is an
 * append-only *event*, and reports are the evidence. Mastodon's strikes are the warn/suspend events.
 */

export const SUBJECT_TYPES = ["post", "comment", "story", "user", "message", "live_comment"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export const REPORT_REASONS = [
  "spam",
  "nudity",
  "harassment",
  "hate",
  "violence",
  "self_harm",
  "scam",
  "impersonation",
  "intellectual_property",
  "other",
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export const MODERATION_ACTIONS = ["dismiss", "hide", "restore", "warn", "suspend", "unsuspend"] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

/**
 * One report. `reporter_id` null = filed by the system (automatic moderation, the media
 * blocklist). An open report by one person about one subject is unique, so a repeat collapses onto
 * it. `snapshot` is the content as the reporter saw it (JSON), kept even if the content goes.
 */
export const reports = sqliteTable(
  "reports",
  {
    id: text("id").primaryKey(),
    subject_type: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subject_id: text("subject_id").notNull(),
    reporter_id: text("reporter_id"),
    reason: text("reason").notNull(),
    note: text("note").notNull().default(""),
    status: text("status", { enum: ["open", "resolved"] })
      .notNull()
      .default("open"),
    created_at: text("created_at").notNull(),
    resolved_at: text("resolved_at"),
    /** The event that resolved it (moderation_events.id). */
    resolved_by_event: text("resolved_by_event"),
  },
  (t) => [
    uniqueIndex("reports_open_uq")
      .on(t.subject_type, t.subject_id, t.reporter_id)
      .where(sql`status = 'open' AND reporter_id IS NOT NULL`),
    index("reports_subject_idx").on(t.subject_type, t.subject_id, t.id),
    index("reports_reporter_idx").on(t.reporter_id, t.id),
  ],
);

/**
 * A reported (or automatically flagged, or appealed) thing and where it stands: one row per subject,
 * kept by the same batches that add reports and events, so the queue is an index range.
 * `context_id` locates content that lives in a Durable Object (a message's conversation, a live
 * comment's session). `flags` is the automatic check's categories over the lower threshold (JSON).
 */
export const moderationSubjects = sqliteTable(
  "moderation_subjects",
  {
    subject_type: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subject_id: text("subject_id").notNull(),
    owner_id: text("owner_id").notNull(),
    context_id: text("context_id"),
    status: text("status", { enum: ["open", "resolved"] }).notNull(),
    /** Higher first in the queue: automatic hides and appeals above user reports (see moderation.service.ts). */
    priority: integer("priority").notNull().default(0),
    open_reports: integer("open_reports").notNull().default(0),
    total_reports: integer("total_reports").notNull().default(0),
    /** Distinct reasons of the open reports, JSON array. */
    reasons: text("reasons").notNull().default("[]"),
    flags: text("flags").notNull().default("[]"),
    first_report_at: text("first_report_at"),
    last_report_at: text("last_report_at"),
    /** The content as first reported (JSON), so staff see it after an edit or a delete. */
    snapshot: text("snapshot").notNull().default("{}"),
    hidden: integer("hidden", { mode: "boolean" }).notNull().default(false),
    appealed_at: text("appealed_at"),
    /** Sort key of the queue: the latest activity's id (time-ordered). */
    activity_id: text("activity_id").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.subject_type, t.subject_id] }),
    index("moderation_subjects_queue_idx").on(t.status, t.priority, t.activity_id),
    index("moderation_subjects_owner_idx").on(t.owner_id),
  ],
);

/**
 * The audit log: every action by staff or by the system, and every appeal. Append-only: triggers
 * in the migration refuse UPDATE and DELETE.
 */
export const moderationEvents = sqliteTable(
  "moderation_events",
  {
    id: text("id").primaryKey(),
    subject_type: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subject_id: text("subject_id").notNull(),
    owner_id: text("owner_id").notNull(),
    /** Staff account; null = the system (automatic moderation, the blocklist, an ended suspension). */
    actor_id: text("actor_id"),
    action: text("action").notNull(),
    note: text("note").notNull().default(""),
    duration_hours: integer("duration_hours"),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    index("moderation_events_subject_idx").on(t.subject_type, t.subject_id, t.id),
    index("moderation_events_actor_idx").on(t.actor_id, t.id),
  ],
);

/**
 * Images staff refused. A new upload whose SHA-256 matches, or whose dHash is within the configured
 * Hamming distance, is refused. The dHash is also stored as 8 one-byte bands: two hashes within
 * distance d ≤ 7 agree on at least one band (pigeonhole), so candidates are index lookups.
 */
export const mediaBlocklist = sqliteTable(
  "media_blocklist",
  {
    id: text("id").primaryKey(),
    sha256: text("sha256").notNull(),
    dhash: text("dhash").notNull(),
    band0: text("band0").notNull(),
    band1: text("band1").notNull(),
    band2: text("band2").notNull(),
    band3: text("band3").notNull(),
    band4: text("band4").notNull(),
    band5: text("band5").notNull(),
    band6: text("band6").notNull(),
    band7: text("band7").notNull(),
    source_media_id: text("source_media_id"),
    added_by: text("added_by").notNull(),
    note: text("note").notNull().default(""),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("media_blocklist_sha_uq").on(t.sha256),
    index("media_blocklist_b0").on(t.band0),
    index("media_blocklist_b1").on(t.band1),
    index("media_blocklist_b2").on(t.band2),
    index("media_blocklist_b3").on(t.band3),
    index("media_blocklist_b4").on(t.band4),
    index("media_blocklist_b5").on(t.band5),
    index("media_blocklist_b6").on(t.band6),
    index("media_blocklist_b7").on(t.band7),
  ],
);

/**
 * One automatic check of one version of a piece of content: (subject, SHA-256 of what was sent).
 * The job claims the row before calling the provider, so a redelivered message never calls twice,
 * and an edit (new text) is checked again.
 */
export const moderationChecks = sqliteTable(
  "moderation_checks",
  {
    subject_type: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subject_id: text("subject_id").notNull(),
    content_hash: text("content_hash").notNull(),
    status: text("status", { enum: ["pending", "done", "failed"] }).notNull(),
    claimed_at: text("claimed_at"),
    /** The provider's category scores over the lower threshold, JSON. */
    result: text("result"),
    verdict: text("verdict", { enum: ["ok", "flag", "hide"] }),
    error: text("error"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subject_type, t.subject_id, t.content_hash] })],
);
