import { z } from "@hono/zod-openapi";
import { MODERATION_ACTIONS, REPORT_REASONS, SUBJECT_TYPES } from "../../db/schema";
import { MAX_CURSOR_LENGTH } from "../../http/cursor";

const Id = z.string().min(1).max(64);

/** What a report or an appeal is about. A message names its conversation, a live comment its session. */
export const SubjectRefSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.enum(["post", "comment", "story", "user"]), id: Id }),
    z.strictObject({ type: z.literal("message"), id: Id, conversation_id: Id }),
    z.strictObject({ type: z.literal("live_comment"), id: Id, live_id: Id }),
  ])
  .openapi("SubjectRef", {
    description:
      "The reported thing: a post, comment, story or user by id; a message with its `conversation_id`; a live comment with its `live_id`.",
  });
export type SubjectRef = z.infer<typeof SubjectRefSchema>;

export const CreateReportSchema = z
  .strictObject({
    target: SubjectRefSchema,
    reason: z.enum(REPORT_REASONS),
    note: z.string().max(1000).optional(),
  })
  .openapi("CreateReport");

export const ReportSchema = z
  .object({
    id: z.string(),
    target: z.object({ type: z.enum(SUBJECT_TYPES), id: z.string() }),
    reason: z.string(),
    note: z.string(),
    status: z.enum(["open", "resolved"]),
    created_at: z.string(),
  })
  .openapi("Report");

export const CreateAppealSchema = z
  .strictObject({
    subject: z.strictObject({ type: z.enum(["post", "comment", "story"]), id: Id }),
    note: z.string().max(1000).optional(),
  })
  .openapi("CreateAppeal");

export const AppealSchema = z
  .object({
    subject: z.object({ type: z.string(), id: z.string() }),
    status: z.literal("open"),
    created_at: z.string(),
  })
  .openapi("Appeal");

const SubjectKeySchema = z.object({ type: z.enum(SUBJECT_TYPES), id: z.string() });

export const QueueEntrySchema = z
  .object({
    subject: SubjectKeySchema,
    owner_id: z.string(),
    status: z.enum(["open", "resolved"]),
    priority: z.number().int().openapi({
      description:
        "Higher first: 30 hidden by automatic moderation or the blocklist, 20 appealed, 10 flagged, 0 reports",
    }),
    report_count: z.number().int().openapi({ description: "Open reports" }),
    total_reports: z.number().int(),
    reasons: z.array(z.string()),
    flags: z.array(z.string()).openapi({ description: "Automatic moderation's categories over the lower threshold" }),
    first_report_at: z.string().nullable(),
    last_report_at: z.string().nullable(),
    hidden: z.boolean(),
    appealed: z.boolean(),
    updated_at: z.string(),
  })
  .openapi("ModerationQueueEntry");

export const QueueQuerySchema = z.strictObject({
  status: z.enum(["open", "resolved"]).default("open"),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const EventSchema = z
  .object({
    id: z.string(),
    subject: SubjectKeySchema,
    owner_id: z.string(),
    actor_id: z.string().nullable().openapi({ description: "The staff account; null = the system" }),
    action: z.string().openapi({
      description:
        "A staff action (dismiss, hide, restore, warn, suspend, unsuspend, blocklist), or the system's (auto_hide, auto_flag, blocklist_match, unsuspend), or `appeal`",
    }),
    note: z.string(),
    duration_hours: z.number().int().nullable(),
    created_at: z.string(),
  })
  .openapi("ModerationEvent");

export const SubjectParamsSchema = z.strictObject({
  type: z.enum(SUBJECT_TYPES).openapi({ param: { name: "type", in: "path" } }),
  id: Id.openapi({ param: { name: "id", in: "path" } }),
});

export const SubjectDetailSchema = z
  .object({
    subject: SubjectKeySchema,
    owner: z.object({ id: z.string(), username: z.string(), suspended: z.boolean() }).nullable(),
    status: z.enum(["open", "resolved"]).nullable().openapi({ description: "null: never reported nor flagged" }),
    hidden: z.boolean(),
    content: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "The content as stored now, hidden or not; null when it no longer exists" }),
    snapshot: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The content as it was first reported (kept after an edit or a delete)" }),
    media: z
      .array(z.object({ id: z.string(), sha256: z.string().nullable(), dhash: z.string().nullable() }))
      .openapi({ description: "The images, for the blocklist" }),
    reports: z.array(
      z.object({
        id: z.string(),
        reporter_id: z.string().nullable(),
        reason: z.string(),
        note: z.string(),
        status: z.enum(["open", "resolved"]),
        created_at: z.string(),
      }),
    ),
    events: z.array(EventSchema),
  })
  .openapi("ModerationSubject");

export const ActionSchema = z
  .strictObject({
    action: z.enum(MODERATION_ACTIONS),
    note: z
      .string()
      .min(1)
      .max(1000)
      .openapi({ description: "Why; shown in the audit log and, for the author, in the notice" }),
    duration_hours: z
      .number()
      .int()
      .min(1)
      .max(24 * 365)
      .optional()
      .openapi({ description: "Only with `suspend`: a temporary suspension; without it, until lifted" }),
  })
  .openapi("ModerationAction");

export const AuditQuerySchema = z.strictObject({
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  actor: Id.optional().openapi({ description: "Only this staff account's events" }),
});

export const BlocklistAddSchema = z
  .strictObject({ media_id: Id, note: z.string().min(1).max(1000) })
  .openapi("BlocklistAdd");

export const BlocklistParamsSchema = z.strictObject({
  id: Id.openapi({ param: { name: "id", in: "path" } }),
});

export const BlocklistEntrySchema = z
  .object({
    id: z.string(),
    sha256: z.string(),
    dhash: z.string(),
    source_media_id: z.string().nullable(),
    added_by: z.string(),
    note: z.string(),
    created_at: z.string(),
  })
  .openapi("BlocklistEntry");
