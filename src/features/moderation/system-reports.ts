import { and, eq, sql } from "drizzle-orm";
import { moderationEvents, moderationSubjects, type ReportReason, reports, type SubjectType } from "../../db/schema";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import type { SubjectContent } from "./subjects";

/*
 * The statements that open a subject in the review queue and file reports by the system, for the
 * callers' batches. Apart from moderation.service.ts (whose subjects reach into posts, stories and
 * media) so the media upload flow can file a blocklist match without an import cycle.
 */

/** Queue order: higher first (QueueEntrySchema's description). */
export const PRIORITY = { report: 0, flagged: 10, appealed: 20, autoHidden: 30 } as const;

export const subjectIs = (type: SubjectType, id: string) =>
  and(eq(moderationSubjects.subject_type, type), eq(moderationSubjects.subject_id, id));

/**
 * Opens (or re-opens) the subject's row and raises its priority, only when the statement just before
 * it in the batch changed a row (`changes()`: a report that collapsed onto an open one changes nothing).
 */
export function openSubjectStatement(
  deps: Pick<Platform, "db">,
  s: { type: SubjectType; id: string; ownerId: string; contextId: string | null; snapshot: string },
  args: { priority: number; activityId: string; now: string; onlyIfChanged: boolean; flags?: string[] },
) {
  const t = moderationSubjects;
  const flags = JSON.stringify(args.flags ?? []);
  return deps.db.run(sql`INSERT INTO ${t} (subject_type, subject_id, owner_id, context_id, status, priority, snapshot, flags, activity_id, updated_at)
    SELECT ${s.type}, ${s.id}, ${s.ownerId}, ${s.contextId}, 'open', ${args.priority}, ${s.snapshot}, ${flags}, ${args.activityId}, ${args.now}
    WHERE ${args.onlyIfChanged ? sql`changes() > 0` : sql`1`}
    ON CONFLICT (subject_type, subject_id) DO UPDATE SET
      status = 'open',
      priority = CASE WHEN ${t.status} = 'open' THEN MAX(${t.priority}, excluded.priority) ELSE excluded.priority END,
      flags = CASE WHEN excluded.flags = '[]' THEN ${t.flags} ELSE excluded.flags END,
      activity_id = excluded.activity_id,
      updated_at = excluded.updated_at`);
}

/** Recounts the subject's report figures from its reports (an index range on reports_subject_idx). */
export function recountStatement(deps: Pick<Platform, "db">, type: SubjectType, id: string) {
  const r = reports;
  const open = sql`${r.subject_type} = ${type} AND ${r.subject_id} = ${id} AND ${r.status} = 'open'`;
  const all = sql`${r.subject_type} = ${type} AND ${r.subject_id} = ${id}`;
  return deps.db
    .update(moderationSubjects)
    .set({
      open_reports: sql`(SELECT COUNT(*) FROM ${r} WHERE ${open})`,
      total_reports: sql`(SELECT COUNT(*) FROM ${r} WHERE ${all})`,
      reasons: sql`(SELECT json_group_array(reason) FROM (SELECT DISTINCT ${r.reason} AS reason FROM ${r} WHERE ${open}))`,
      first_report_at: sql`(SELECT MIN(${r.created_at}) FROM ${r} WHERE ${open})`,
      last_report_at: sql`(SELECT MAX(${r.created_at}) FROM ${r} WHERE ${open})`,
    })
    .where(subjectIs(type, id));
}

/**
 * The statements that file a report by the system (automatic moderation, the blocklist) about a
 * subject, for the caller's batch: a report, the subject opened at `priority` with `flags`, and an
 * event naming what the system did (`auto_flag`, `auto_hide`, `blocklist_match`).
 */
export function systemReportStatements(
  deps: Pick<Platform, "db">,
  args: {
    subject: Pick<SubjectContent, "type" | "id" | "ownerId" | "contextId" | "content">;
    reason: ReportReason;
    note: string;
    flags: string[];
    priority: number;
    action: "auto_flag" | "auto_hide" | "blocklist_match";
    now: Date;
  },
) {
  const { subject } = args;
  const id = newId(args.now.getTime());
  const at = args.now.toISOString();
  return [
    deps.db.insert(reports).values({
      id,
      subject_type: subject.type,
      subject_id: subject.id,
      reporter_id: null,
      reason: args.reason,
      note: args.note,
      status: "open",
      created_at: at,
    }),
    openSubjectStatement(
      deps,
      { ...subject, snapshot: JSON.stringify(subject.content) },
      { priority: args.priority, activityId: id, now: at, onlyIfChanged: false, flags: args.flags },
    ),
    recountStatement(deps, subject.type, subject.id),
    deps.db.insert(moderationEvents).values({
      id: newId(args.now.getTime()),
      subject_type: subject.type,
      subject_id: subject.id,
      owner_id: subject.ownerId,
      actor_id: null,
      action: args.action,
      note: args.note,
      created_at: at,
    }),
  ];
}
