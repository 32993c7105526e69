import { devMailbox } from "../db/schema";
import type { Clock } from "./clock";
import type { Db } from "./db";
import { newId } from "./ids";

/** One rendered mail: a plain-text and an HTML body (README "Email"). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Where mail goes. Features never call it directly: they store a `mails` row and stage a
 * `mail.send` job with the write (outbox), and the job calls `send`, so a failing mail API delays a
 * mail but never loses it.
 * - `sent`: the API (or the dev mailbox) took it;
 * - `skipped`: no sender is configured; the mail is logged (address and subject only) and dropped.
 * A refused or failed send throws, and the queue retries the job.
 */
export interface Mailer {
  readonly kind: "http" | "dev" | "none";
  send(message: MailMessage): Promise<"sent" | "skipped">;
}

export type MailConfig =
  | { kind: "http"; url: string; apiKey: string; from: string; timeoutMs: number }
  | { kind: "dev"; from: string }
  | { kind: "none" };

/** Thrown for an answer of the mail API that a retry may fix (5xx, 429, network). */
export class MailSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MailSendError";
  }
}

/**
 * A Resend-compatible HTTP email API: `POST {from, to, subject, text, html}` with
 * `Authorization: Bearer`. Not Cloudflare's `send_email` binding: it delivers only to addresses
 * verified as Email Routing destinations, so it cannot mail an arbitrary user (README "Email").
 */
function httpMailer(config: Extract<MailConfig, { kind: "http" }>): Mailer {
  return {
    kind: "http",
    async send(message) {
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: "POST",
          headers: { authorization: `Bearer ${config.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            from: config.from,
            to: [message.to],
            subject: message.subject,
            text: message.text,
            html: message.html,
          }),
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (err) {
        throw new MailSendError(`mail API unreachable: ${String(err)}`);
      }
      // The body is read to free the connection; it is never logged (it may echo the message).
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new MailSendError(`mail API answered ${res.status}`);
      return "sent";
    },
  };
}

/** DEV_MAILBOX=1: mail is stored in D1 and listed at GET /dev/mailbox, so flows complete offline. */
function devMailer(db: Db, clock: Clock): Mailer {
  return {
    kind: "dev",
    async send(message) {
      const now = clock.now();
      await db.insert(devMailbox).values({
        id: newId(now.getTime()),
        to_address: message.to,
        subject: message.subject,
        text_body: message.text,
        html_body: message.html,
        sent_at: now.toISOString(),
      });
      return "sent";
    },
  };
}

/** Neither configured: the flows still work (the links are just never mailed); each mail is logged. */
const noMailer: Mailer = {
  kind: "none",
  async send(message) {
    console.warn(
      JSON.stringify({
        level: "warn",
        component: "mail",
        msg: "no mail sender configured; not sent",
        to: message.to,
        subject: message.subject,
      }),
    );
    return "skipped";
  },
};

export function mailerFor(config: MailConfig, db: Db, clock: Clock): Mailer {
  switch (config.kind) {
    case "http":
      return httpMailer(config);
    case "dev":
      return devMailer(db, clock);
    case "none":
      return noMailer;
  }
}
