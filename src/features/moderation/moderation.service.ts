import type { z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or, type SQL, sql } from "drizzle-orm";
import {
  type ModerationAction,
  moderationEvents,
  moderationSubjects,
  type ReportReason,
  reports,
  type SubjectType,
  users,
} from "../../db/schema";
import type { Caller } from "../../env";
import { decodeCursor, encodeCursor, invalidCursor } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import { enforceLimit } from "../../http/rate-limit";
import type { Platform } from "../../platform";
import { isoPlusSeconds } from "../../platform/clock";
import { newId } from "../../platform/ids";
import type { Job } from "../../platform/jobs";
import type {
  ActionSchema,
  AuditQuerySchema,
  CreateAppealSchema,
  CreateReportSchema,
  EventSchema,
  QueueEntrySchema,
  ReportSchema,
  SubjectDetailSchema,
} from "./moderation.schema";
import {
  cannotReportOwn,
  contentOf,
  hideStatements,
  mediaHashes,
  resolveForReporter,
  type SubjectContent,
  type SubjectDeps,
  setHiddenInObject,
} from "./subjects";
import { closeStreams, suspendStatements, unsuspendStatement } from "./suspension";
import { openSubjectStatement, PRIORITY, recountStatement, subjectIs, systemReportStatements } from "./system-reports";

export { PRIORITY, systemReportStatements };

/*
 * Reports, the review queue, staff actions, appeals and the audit log (docs/moderation.md).
 * Every decision is one D1 batch: the append-only event, the subject's status, the reports it
 * resolves, the content's change (hidden, suspended) and the notices (outbox) commit together.
 */

export type ModerationDeps = SubjectDeps & Pick<Platform, "limits" | "stream">;

type Report = z.infer<typeof ReportSchema>;
type QueueEntry = z.infer<typeof QueueEntrySchema>;
type Event = z.infer<typeof EventSchema>;

const reportsOf = (type: SubjectType, id: string) => and(eq(reports.subject_type, type), eq(reports.subject_id, id));

function toReport(row: typeof reports.$inferSelect): Report {
  return {
    id: row.id,
    target: { type: row.subject_type, id: row.subject_id },
    reason: row.reason,
    note: row.note,
    status: row.status,
    created_at: row.created_at,
  };
}

/**
 * `POST /v1/reports`. Only what the reporter can see (404 otherwise), never one's own; a second
 * report of the same thing by the same person while the first is open collapses onto it (`created`
 * false, nothing counted twice).
 */
export async function createReport(
  deps: ModerationDeps,
  reporterId: string,
  input: z.infer<typeof CreateReportSchema>,
): Promise<{ report: Report; created: boolean }> {
  await enforceLimit(deps.limits.report, `report:${reporterId}`);
  const subject = await resolveForReporter(deps, reporterId, input.target);
  if (subject.ownerId === reporterId) throw cannotReportOwn();
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const at = now.toISOString();
  await deps.db.batch([
    deps.db.run(sql`INSERT INTO ${reports} (id, subject_type, subject_id, reporter_id, reason, note, status, created_at)
      VALUES (${id}, ${subject.type}, ${subject.id}, ${reporterId}, ${input.reason}, ${input.note ?? ""}, 'open', ${at})
      ON CONFLICT DO NOTHING`),
    openSubjectStatement(
      deps,
      { ...subject, snapshot: JSON.stringify(subject.content) },
      { priority: PRIORITY.report, activityId: id, now: at, onlyIfChanged: true },
    ),
    recountStatement(deps, subject.type, subject.id),
  ]);
  const row = await deps.db.query.reports.findFirst({
    where: and(reportsOf(subject.type, subject.id), eq(reports.reporter_id, reporterId), eq(reports.status, "open")),
  });
  if (!row) throw new Error("report not found after insert");
  return { report: toReport(row), created: row.id === id };
}

/** A `moderation` notice to one account, through the notify queue (a redelivery writes it once). */
function notice(recipientId: string, sourceId: string, text: string, now: Date): Job {
  return {
    type: "notify",
    event: {
      kind: "direct",
      type: "moderation",
      recipient_id: recipientId,
      actor_id: null,
      // No post target: the author must see the notice about a post that is now hidden everywhere.
      post_id: null,
      source_id: sourceId,
      text: text.length > 280 ? `${text.slice(0, 279)}…` : text,
      at: now.toISOString(),
    },
  };
}

const NAMES: Record<SubjectType, string> = {
  post: "post",
  comment: "comment",
  story: "story",
  user: "profile",
  message: "message",
  live_comment: "live comment",
};

/**
 * Automatic moderation's verdict over the high threshold: the subject is hidden at once pending
 * review, a system report enters the queue at the top, and the author is told (and may appeal).
 */
export async function hideBySystem(
  deps: ModerationDeps,
  subject: SubjectContent,
  args: { reason: ReportReason; note: string; flags: string[]; action: "auto_hide" | "blocklist_match" },
): Promise<void> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const staged = deps.outbox.stage([
    notice(
      subject.ownerId,
      // Epoch ms, not ISO: "auto:live_comment:<ulid>:<iso>" would pass the 64-character limit.
      `auto:${subject.type}:${subject.id}:${now.getTime()}`,
      `Your ${NAMES[subject.type]} was hidden pending review: ${args.note}. You may appeal.`,
      now,
    ),
  ]);
  await deps.db.batch([
    staged.statement,
    ...hideStatements(deps, subject, args.note, at),
    ...systemReportStatements(deps, { ...args, subject, priority: PRIORITY.autoHidden, now }),
    deps.db.update(moderationSubjects).set({ hidden: true }).where(subjectIs(subject.type, subject.id)),
  ]);
  await setHiddenInObject(deps, subject, true);
  await deps.outbox.deliver(staged.ids);
}

// ---- the review queue ----

const QUEUE_LIST = "moderation-queue";

export async function listQueue(
  deps: Pick<Platform, "db" | "config">,
  query: { status: "open" | "resolved"; cursor?: string; limit: number },
): Promise<{ items: QueueEntry[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  const list = `${QUEUE_LIST}:${query.status}`;
  let after: SQL | undefined;
  if (query.cursor !== undefined) {
    const [priority, activity] = await decodeCursor(secret, list, query.cursor);
    if (typeof priority !== "number" || typeof activity !== "string") throw invalidCursor();
    const t = moderationSubjects;
    after = or(lt(t.priority, priority), and(eq(t.priority, priority), lt(t.activity_id, activity)));
  }
  const t = moderationSubjects;
  const rows = await deps.db
    .select()
    .from(t)
    .where(and(eq(t.status, query.status), after))
    .orderBy(desc(t.priority), desc(t.activity_id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      subject: { type: r.subject_type, id: r.subject_id },
      owner_id: r.owner_id,
      status: r.status,
      priority: r.priority,
      report_count: r.open_reports,
      total_reports: r.total_reports,
      reasons: JSON.parse(r.reasons) as string[],
      flags: JSON.parse(r.flags) as string[],
      first_report_at: r.first_report_at,
      last_report_at: r.last_report_at,
      hidden: r.hidden,
      appealed: r.appealed_at !== null,
      updated_at: r.updated_at,
    })),
    next_cursor:
      rows.length > query.limit && last ? await encodeCursor(secret, list, [last.priority, last.activity_id]) : null,
  };
}

function toEvent(row: typeof moderationEvents.$inferSelect): Event {
  return {
    id: row.id,
    subject: { type: row.subject_type, id: row.subject_id },
    owner_id: row.owner_id,
    actor_id: row.actor_id,
    action: row.action,
    note: row.note,
    duration_hours: row.duration_hours,
    created_at: row.created_at,
  };
}

/** `GET /v1/admin/subjects/{type}/{id}`: the content now (even hidden), its first snapshot, reports and history. */
export async function subjectDetail(
  deps: ModerationDeps,
  type: SubjectType,
  id: string,
): Promise<z.infer<typeof SubjectDetailSchema>> {
  const row = await deps.db.query.moderationSubjects.findFirst({ where: subjectIs(type, id) });
  const stored = await contentOf(deps, type, id, row?.context_id ?? null);
  if (!row && !stored) throw notFound("subject");
  const ownerId = stored?.ownerId ?? row?.owner_id ?? null;
  const [owner, reportRows, eventRows, hashes] = await Promise.all([
    ownerId === null ? undefined : deps.db.query.users.findFirst({ where: eq(users.id, ownerId) }),
    deps.db.query.reports.findMany({ where: reportsOf(type, id), orderBy: desc(reports.id), limit: 100 }),
    deps.db.query.moderationEvents.findMany({
      where: and(eq(moderationEvents.subject_type, type), eq(moderationEvents.subject_id, id)),
      orderBy: desc(moderationEvents.id),
      limit: 100,
    }),
    mediaHashes(deps, stored?.mediaIds ?? []),
  ]);
  return {
    subject: { type, id },
    owner: owner ? { id: owner.id, username: owner.username, suspended: owner.suspended_at !== null } : null,
    status: row?.status ?? null,
    hidden: stored?.hidden ?? row?.hidden ?? false,
    content: stored?.content ?? null,
    snapshot: row ? (JSON.parse(row.snapshot) as Record<string, unknown>) : {},
    media: hashes,
    reports: reportRows.map((r) => ({
      id: r.id,
      reporter_id: r.reporter_id,
      reason: r.reason,
      note: r.note,
      status: r.status,
      created_at: r.created_at,
    })),
    events: eventRows.map(toEvent),
  };
}

// ---- staff actions ----

const conflict = (detail: string) => new ApiError("conflict", detail);

/**
 * `POST /v1/admin/subjects/{type}/{id}/actions`. The subject is read from storage and every effect
 * applies to what is stored there, never to ids from the request (CVE-2026-22246: an action must
 * reach only the reported thing and its real owner). Staff never act on their own content, and
 * only an admin acts on another staff account's.
 */
export async function act(
  deps: ModerationDeps,
  staff: Caller,
  type: SubjectType,
  id: string,
  input: z.infer<typeof ActionSchema>,
): Promise<Event> {
  const row = await deps.db.query.moderationSubjects.findFirst({ where: subjectIs(type, id) });
  const subject = await contentOf(deps, type, id, row?.context_id ?? null);
  if (!subject) throw notFound("subject");
  const owner = await deps.db.query.users.findFirst({ where: eq(users.id, subject.ownerId) });
  if (!owner) throw notFound("subject");
  if (owner.id === staff.userId) throw new ApiError("forbidden", "Staff do not act on their own content or account.");
  if (owner.role !== "user" && staff.role !== "admin") {
    throw new ApiError("forbidden", "Only an admin acts on a staff member's content or account.");
  }
  const { action, note } = input;
  if (input.duration_hours !== undefined && action !== "suspend") {
    throw new ApiError("validation_failed", "duration_hours goes only with suspend.", {
      errors: [{ path: "duration_hours", message: "only with action suspend" }],
    });
  }
  if (action === "hide" && subject.hidden) throw conflict(`The ${NAMES[type]} is already hidden.`);
  if (action === "restore" && !subject.hidden) throw conflict(`The ${NAMES[type]} is not hidden.`);
  if (
    action === "suspend" &&
    owner.suspended_at !== null &&
    input.duration_hours === undefined &&
    owner.suspended_until === null
  ) {
    throw conflict("The account is already suspended until lifted.");
  }
  if (action === "unsuspend" && owner.suspended_at === null) throw conflict("The account is not suspended.");

  const now = deps.clock.now();
  const at = now.toISOString();
  const eventId = newId(now.getTime());
  const until =
    action === "suspend" && input.duration_hours !== undefined
      ? isoPlusSeconds(now, input.duration_hours * 3600)
      : null;
  const reporters = await deps.db
    .selectDistinct({ id: reports.reporter_id })
    .from(reports)
    .where(and(reportsOf(type, id), eq(reports.status, "open")));

  const jobs: Job[] = [];
  const what = NAMES[type];
  if (action === "hide")
    jobs.push(notice(owner.id, eventId, `Your ${what} was hidden: ${note}. You may appeal once.`, now));
  if (action === "warn")
    jobs.push(notice(owner.id, eventId, `You received a warning about your ${what}: ${note}`, now));
  if (action === "suspend") {
    const span = until ? `until ${until}` : "until further notice";
    jobs.push(notice(owner.id, eventId, `Your account was suspended ${span}: ${note}`, now));
  }
  if (action !== "restore" && action !== "unsuspend") {
    const outcome = action === "dismiss" ? "found that it does not break our rules" : "took action";
    for (const r of reporters) {
      if (r.id !== null)
        jobs.push(
          notice(r.id, eventId, `Thanks for your report. We reviewed the ${what} you reported and ${outcome}.`, now),
        );
    }
  }
  const staged = deps.outbox.stage(jobs);

  const hidden = action === "hide" ? true : action === "restore" ? false : (row?.hidden ?? subject.hidden);
  const effects =
    action === "hide"
      ? hideStatements(deps, subject, note, at)
      : action === "restore"
        ? hideStatements(deps, subject, null, at)
        : action === "suspend"
          ? suspendStatements(deps, { userId: owner.id, until, reason: note, now: at })
          : action === "unsuspend"
            ? [unsuspendStatement(deps, owner.id)]
            : [];
  const t = moderationSubjects;
  await deps.db.batch([
    deps.db.insert(moderationEvents).values({
      id: eventId,
      subject_type: type,
      subject_id: id,
      owner_id: owner.id,
      actor_id: staff.userId,
      action,
      note,
      duration_hours: input.duration_hours ?? null,
      created_at: at,
    }),
    deps.db.run(sql`INSERT INTO ${t} (subject_type, subject_id, owner_id, context_id, status, snapshot, hidden, activity_id, updated_at)
      VALUES (${type}, ${id}, ${owner.id}, ${subject.contextId}, 'resolved', ${JSON.stringify(subject.content)}, ${hidden ? 1 : 0}, ${eventId}, ${at})
      ON CONFLICT (subject_type, subject_id) DO UPDATE SET status = 'resolved', priority = 0, hidden = excluded.hidden,
        activity_id = excluded.activity_id, updated_at = excluded.updated_at`),
    deps.db
      .update(reports)
      .set({ status: "resolved", resolved_at: at, resolved_by_event: eventId })
      .where(and(reportsOf(type, id), eq(reports.status, "open"))),
    recountStatement(deps, type, id),
    ...effects,
    staged.statement,
  ]);
  if (action === "hide" || action === "restore") await setHiddenInObject(deps, subject, action === "hide");
  if (action === "suspend") await closeStreams(deps, owner.id);
  await deps.outbox.deliver(staged.ids);
  const event = await deps.db.query.moderationEvents.findFirst({ where: eq(moderationEvents.id, eventId) });
  if (!event) throw new Error("event not found after insert");
  return toEvent(event);
}

// ---- appeals ----

/**
 * `POST /v1/appeals`: the author of hidden content asks for another look, once per subject. The
 * subject goes back into the queue above user reports.
 */
export async function appeal(deps: ModerationDeps, authorId: string, input: z.infer<typeof CreateAppealSchema>) {
  const { type, id } = input.subject;
  const subject = await contentOf(deps, type, id, null);
  // Someone else's content, or content that is not hidden: nothing to appeal (404 as for anything unknown).
  if (!subject || subject.ownerId !== authorId || !subject.hidden) throw notFound(type);
  const row = await deps.db.query.moderationSubjects.findFirst({ where: subjectIs(type, id) });
  if (row?.appealed_at) throw conflict("This decision has already been appealed.");
  const now = deps.clock.now();
  const at = now.toISOString();
  const eventId = newId(now.getTime());
  const t = moderationSubjects;
  const [, appealed] = await deps.db.batch([
    deps.db.run(sql`INSERT INTO ${t} (subject_type, subject_id, owner_id, context_id, status, priority, snapshot, hidden, activity_id, updated_at)
      VALUES (${type}, ${id}, ${authorId}, NULL, 'open', ${PRIORITY.appealed}, ${JSON.stringify(subject.content)}, 1, ${eventId}, ${at})
      ON CONFLICT (subject_type, subject_id) DO NOTHING`),
    // Once: only the call that sets appealed_at records the event (two concurrent appeals, one wins).
    deps.db
      .update(t)
      .set({
        status: "open",
        priority: sql`MAX(${t.priority}, ${PRIORITY.appealed})`,
        appealed_at: at,
        activity_id: eventId,
        updated_at: at,
      })
      .where(and(subjectIs(type, id), sql`${t.appealed_at} IS NULL`))
      .returning({ at: t.appealed_at }),
    deps.db.run(sql`INSERT INTO ${moderationEvents} (id, subject_type, subject_id, owner_id, actor_id, action, note, created_at)
      SELECT ${eventId}, ${type}, ${id}, ${authorId}, ${authorId}, 'appeal', ${input.note ?? ""}, ${at}
      WHERE EXISTS (SELECT 1 FROM ${t} WHERE ${t.subject_type} = ${type} AND ${t.subject_id} = ${id} AND ${t.activity_id} = ${eventId})`),
  ]);
  if (appealed.length === 0) throw conflict("This decision has already been appealed.");
  return { subject: { type, id }, status: "open" as const, created_at: at };
}

// ---- audit ----

const AUDIT_LIST = "moderation-audit";

export async function audit(deps: Pick<Platform, "db" | "config">, query: z.infer<typeof AuditQuerySchema>) {
  const secret = deps.config.signingSecret;
  const list = `${AUDIT_LIST}:${query.actor ?? ""}`;
  let before: string | null = null;
  if (query.cursor !== undefined) {
    const [value] = await decodeCursor(secret, list, query.cursor);
    if (typeof value !== "string") throw invalidCursor();
    before = value;
  }
  const e = moderationEvents;
  const rows = await deps.db
    .select()
    .from(e)
    .where(and(query.actor ? eq(e.actor_id, query.actor) : undefined, before === null ? undefined : lt(e.id, before)))
    .orderBy(desc(e.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toEvent),
    next_cursor: rows.length > query.limit && last ? await encodeCursor(secret, list, [last.id]) : null,
  };
}

export type { ModerationAction };
