import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import { authEvents, conversationMembers, liveSessions, moderationEvents, users } from "../../db/schema";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import { revokeFamiliesStatement } from "../account/account.repo";
import { CLOSE_SESSION_ENDED } from "../chat/chat.protocol";
import { finishForSuspension } from "../live/live.service";

export type SuspensionDeps = Pick<Platform, "db" | "clock" | "realtime" | "stream">;

/** Reason sent with the close frame of every socket an ended session closes. */
export const SESSION_ENDED_REASON = "The account's sessions ended";

/**
 * The statements that suspend an account, for the batch that records the staff action: the account
 * is marked (every read hides it from others, the session check refuses its tokens on their next
 * request) and every refresh family is revoked (no new tokens). `until` null = until lifted.
 */
export function suspendStatements(
  deps: Pick<Platform, "db">,
  args: { userId: string; until: string | null; reason: string; now: string },
) {
  const { db } = deps;
  return [
    db
      .update(users)
      .set({ suspended_at: args.now, suspended_until: args.until, suspension_reason: args.reason })
      .where(eq(users.id, args.userId)),
    revokeFamiliesStatement(db, { userId: args.userId, now: args.now }),
    db.insert(authEvents).values({
      id: newId(),
      user_id: args.userId,
      kind: "suspended",
      detail: args.until ? `until ${args.until}` : "until lifted",
      created_at: args.now,
    }),
  ];
}

/** The statement that lifts a suspension (staff `unsuspend`, or its end passing). */
export function unsuspendStatement(deps: Pick<Platform, "db">, userId: string) {
  return deps.db
    .update(users)
    .set({ suspended_at: null, suspended_until: null, suspension_reason: null })
    .where(eq(users.id, userId));
}

/**
 * After the suspension's batch committed: close every open stream of the account (Mastodon
 * CVE-2025-62175: a suspended user's streams stayed open) with 4001: its hub, its sockets in every
 * conversation it belongs to, its own live session (ended) and its sockets in rooms that are live
 * now. Each step is attempted; a failure is logged and the rest go on, and none of them is what
 * keeps the account out (D1 is: tickets and tokens are refused).
 */
export async function closeStreams(deps: SuspensionDeps, userId: string): Promise<void> {
  const { db, realtime } = deps;
  const [rooms, live] = await Promise.all([
    db
      .select({ id: conversationMembers.conversation_id })
      .from(conversationMembers)
      .where(eq(conversationMembers.user_id, userId)),
    db.select({ id: liveSessions.id }).from(liveSessions).where(eq(liveSessions.status, "live")).limit(1000),
  ]);
  const steps: Promise<unknown>[] = [
    realtime.hub(userId).closeAll(CLOSE_SESSION_ENDED, SESSION_ENDED_REASON),
    finishForSuspension(
      deps,
      userId,
      live.map((s) => s.id),
    ),
    ...rooms.map((r) => realtime.room(r.id).disconnect(r.id, userId, CLOSE_SESSION_ENDED, SESSION_ENDED_REASON)),
  ];
  for (const result of await Promise.allSettled(steps)) {
    if (result.status === "rejected") {
      const err = String(result.reason);
      console.error(JSON.stringify({ level: "error", component: "moderation", msg: "stream not closed", userId, err }));
    }
  }
}

/**
 * At sign-in: a temporary suspension whose end has passed is lifted now rather than at the next
 * cron run. Answers whether the account is free.
 */
export async function endSuspensionIfOver(
  deps: Pick<Platform, "db">,
  user: { id: string; suspended_until: string | null },
  now: Date,
): Promise<boolean> {
  if (user.suspended_until === null || user.suspended_until > now.toISOString()) return false;
  await liftEnded(deps, now, user.id);
  return true;
}

/**
 * The minute cron: lifts every temporary suspension whose end has passed (`users_suspended_until_idx`),
 * each with a system event. Answers how many it lifted.
 */
export async function liftEnded(deps: Pick<Platform, "db">, now: Date, onlyUserId?: string): Promise<number> {
  const { db } = deps;
  const at = now.toISOString();
  const due = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        isNotNull(users.suspended_at),
        lte(users.suspended_until, at),
        onlyUserId === undefined ? undefined : eq(users.id, onlyUserId),
      ),
    )
    .limit(100);
  for (const { id } of due) {
    // Conditional on the end still being past: a staff action in between (a new, longer
    // suspension) is not undone, and two runs lift it once (the event is written only if it moved).
    const lifted = sql`(SELECT changes() > 0)`;
    await db.batch([
      db
        .update(users)
        .set({ suspended_at: null, suspended_until: null, suspension_reason: null })
        .where(and(eq(users.id, id), isNotNull(users.suspended_at), lte(users.suspended_until, at))),
      db.run(
        sql`INSERT INTO ${moderationEvents} (id, subject_type, subject_id, owner_id, actor_id, action, note, created_at)
            SELECT ${newId()}, 'user', ${id}, ${id}, NULL, 'unsuspend', 'The suspension ended.', ${at} WHERE ${lifted}`,
      ),
    ]);
  }
  return due.length;
}
