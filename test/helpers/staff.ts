import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { api } from "./api";
import { createUser, type SessionBody, type TestUser } from "./factories";

/** Signs in again (a new session, a token naming the account's current role). */
export async function login(user: TestUser): Promise<TestUser> {
  const res = await api("POST", "/v1/auth/login", { body: { login: user.username, password: user.password } });
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as SessionBody;
  return { ...user, accessToken: body.access_token, refreshToken: body.refresh_token };
}

/**
 * A staff account. Roles are set only outside the API (scripts/admin.mjs runs this UPDATE through
 * wrangler); the account then signs in again for a token with the role.
 */
export async function makeStaff(role: "moderator" | "admin"): Promise<TestUser> {
  const user = await createUser();
  await env.DB.prepare("UPDATE users SET role = ?1 WHERE id = ?2").bind(role, user.id).run();
  return login(user);
}

export interface QueueEntryBody {
  subject: { type: string; id: string };
  owner_id: string;
  status: string;
  priority: number;
  report_count: number;
  total_reports: number;
  reasons: string[];
  flags: string[];
  hidden: boolean;
  appealed: boolean;
}

export async function report(user: TestUser, target: Record<string, string>, reason = "spam", note?: string) {
  return api("POST", "/v1/reports", { token: user.accessToken, body: { target, reason, ...(note ? { note } : {}) } });
}

export async function act(
  staff: TestUser,
  type: string,
  id: string,
  action: string,
  extra: Record<string, unknown> = {},
): Promise<Response> {
  return api("POST", `/v1/admin/subjects/${type}/${id}/actions`, {
    token: staff.accessToken,
    body: { action, note: `${action} by test`, ...extra },
  });
}

/** The queue entry of a subject, if it is on the `status` page (the first 50 by priority). */
export async function queueEntry(staff: TestUser, type: string, id: string, status = "open") {
  const res = await api("GET", `/v1/admin/reports?status=${status}&limit=50`, { token: staff.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  const { items } = (await res.json()) as { items: QueueEntryBody[] };
  return items.find((e) => e.subject.type === type && e.subject.id === id);
}

/**
 * Runs the `notify` jobs addressed to these recipients that the outbox holds (moderation notices
 * have no actor, so `settle` from notifications.ts, which goes by actor, does not see them).
 */
export async function settleNotices(...recipients: TestUser[]): Promise<void> {
  const rows = await env.DB.prepare(
    `SELECT job FROM outbox WHERE json_extract(job, '$.type') = 'notify'
       AND json_extract(job, '$.event.recipient_id') IN (SELECT value FROM json_each(?1)) ORDER BY id`,
  )
    .bind(JSON.stringify(recipients.map((r) => r.id)))
    .all<{ job: string }>();
  if (rows.results.length === 0) return;
  const batch = createMessageBatch(
    "edgegram-notify",
    rows.results.map((r, i) => ({ id: `notice-${i}`, timestamp: new Date(), attempts: 1, body: JSON.parse(r.job) })),
  );
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
}

/** The texts of the account's `moderation` notifications, newest first. */
export async function notices(user: TestUser): Promise<string[]> {
  const res = await api("GET", "/v1/notifications?types=moderation", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  const { items } = (await res.json()) as { items: { text: string | null }[] };
  return items.map((g) => g.text ?? "");
}
