import { and, desc, eq, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import { accountTokens, devMailbox, mails, reservedUsernames } from "../../db/schema";
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

/** Finished mail, spent tokens, dev mail and lapsed name holds are kept this long, then deleted. */
const KEEP_MS = 7 * 24 * 3600_000;

/**
 * The hourly clean-up: mail that was sent, skipped or failed (it names addresses), tokens used or
 * expired, development mail, and name holds that have lapsed, each older than a week.
 */
export async function pruneAccountMail(deps: Pick<Platform, "db" | "clock">): Promise<void> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - KEEP_MS).toISOString();
  const { db } = deps;
  await db.batch([
    db.delete(mails).where(and(ne(mails.status, "pending"), lt(mails.created_at, before))),
    db
      .delete(accountTokens)
      .where(
        or(
          lt(accountTokens.expires_at, before),
          and(isNotNull(accountTokens.used_at), lt(accountTokens.used_at, before)),
        ),
      ),
    db.delete(devMailbox).where(lt(devMailbox.sent_at, before)),
    db.delete(reservedUsernames).where(lt(reservedUsernames.expires_at, now.toISOString())),
  ]);
}
