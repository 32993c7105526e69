import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { devMailbox, mails } from "../../db/schema";
import type { Platform } from "../../platform";
import { TOKEN_PLACEHOLDER } from "./mail-templates";
import { tokenFor } from "./mailing";

export type MailDeps = Pick<Platform, "db" | "config" | "clock" | "mail">;

/** A sender that died between claiming and marking a mail lets it be claimed again after this. */
const CLAIM_MS = 10 * 60_000;

/**
 * The `mail.send` job: claims the stored mail (one sender at a time; a mail already sent, or never
 * stored, is nothing to do), writes its token into the link and hands it to the mailer. A failed
 * send releases the claim and throws, so the queue retries it (README "Email").
 */
export async function sendStoredMail(deps: MailDeps, mailId: string): Promise<void> {
  const now = deps.clock.now();
  const [mail] = await deps.db
    .update(mails)
    .set({ sent_at: now.toISOString(), attempts: sql`${mails.attempts} + 1` })
    .where(
      and(
        eq(mails.id, mailId),
        eq(mails.status, "pending"),
        or(isNull(mails.sent_at), lt(mails.sent_at, new Date(now.getTime() - CLAIM_MS).toISOString())),
      ),
    )
    .returning();
  if (!mail) return;
  const token = mail.token_id ? await tokenFor(deps.config.signingSecret, mail.token_id) : "";
  try {
    const status = await deps.mail.send({
      to: mail.to_address,
      subject: mail.subject,
      text: mail.text_body.replaceAll(TOKEN_PLACEHOLDER, token),
      html: mail.html_body.replaceAll(TOKEN_PLACEHOLDER, token),
    });
    await deps.db.update(mails).set({ status }).where(eq(mails.id, mailId));
  } catch (err) {
    await deps.db.update(mails).set({ sent_at: null }).where(eq(mails.id, mailId));
    throw err;
  }
}

/** The dead-letter consumer: the mail API kept failing; the mail is marked failed (kept for a look). */
export async function failMail(deps: Pick<Platform, "db" | "clock">, mailId: string): Promise<void> {
  await deps.db
    .update(mails)
    .set({ status: "failed", sent_at: deps.clock.now().toISOString() })
    .where(and(eq(mails.id, mailId), eq(mails.status, "pending")));
}

export interface DevMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  sent_at: string;
}

/** GET /dev/mailbox: what the development mailbox holds for one address, newest first. */
export async function listDevMailbox(deps: Pick<Platform, "db">, to: string): Promise<DevMail[]> {
  const rows = await deps.db
    .select()
    .from(devMailbox)
    .where(eq(devMailbox.to_address, to.trim().toLowerCase()))
    .orderBy(desc(devMailbox.id))
    .limit(50);
  return rows.map((r) => ({
    to: r.to_address,
    subject: r.subject,
    text: r.text_body,
    html: r.html_body,
    sent_at: r.sent_at,
  }));
}
