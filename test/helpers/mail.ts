import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";
import { api } from "./api";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  sent_at: string;
}

let round = 0;

/**
 * Runs every `mail.send` job the outbox holds through the Worker's queue handler now. The real
 * queue delivers the same jobs in the background; a mail is claimed before it is sent, so running
 * a job twice sends it once, exactly like a redelivery.
 */
export async function deliverMail(): Promise<void> {
  const rows = await env.DB.prepare(
    "SELECT job FROM outbox WHERE json_extract(job, '$.type') = 'mail.send' ORDER BY id",
  ).all<{ job: string }>();
  if (rows.results.length === 0) return;
  round++;
  const batch = createMessageBatch(
    "edgegram-mail",
    rows.results.map((r, i) => ({
      id: `mail-${round}-${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: JSON.parse(r.job),
    })),
  );
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  expect(result.retryMessages).toEqual([]);
}

/** The development mailbox for one address (GET /dev/mailbox), newest first, after delivering. */
export async function mailbox(to: string): Promise<Mail[]> {
  await deliverMail();
  const res = await api("GET", `/dev/mailbox?to=${encodeURIComponent(to)}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { items: Mail[] }).items;
}

/** The newest mail to `to` whose subject matches; fails when there is none. */
export async function lastMail(to: string, subject: RegExp): Promise<Mail> {
  const mail = (await mailbox(to)).find((m) => subject.test(m.subject));
  expect(mail, `no mail to ${to} matching ${subject}`).toBeDefined();
  return mail as Mail;
}

/** The one-use token of the link in a mail's text (the `token` query parameter). */
export function tokenIn(mail: Mail): string {
  const link = /https?:\/\/\S+\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  expect(link, `no link with a token in: ${mail.text}`).not.toBeNull();
  return link?.[1] ?? "";
}
