import { type SQL, sql } from "drizzle-orm";
import { accountTokens, mails } from "../../db/schema";
import type { Platform } from "../../platform";
import { isoPlusSeconds } from "../../platform/clock";
import { base64UrlEncode, hmacSha256, sha256Hex } from "../../platform/crypto";
import { columnNames } from "../../platform/db";
import { newId } from "../../platform/ids";
import type { RenderedMail } from "./mail-templates";

export type MailingDeps = Pick<Platform, "db" | "config" | "clock" | "outbox">;

export type TokenPurpose = (typeof accountTokens.$inferInsert)["purpose"];

/** How long each kind of mailed token works (README "Account lifecycle"). */
export const TOKEN_TTL_SECONDS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3600,
  change_email: 24 * 3600,
  password_reset: 30 * 60,
};

/**
 * The token mailed for the `account_tokens` row `tokenId`: an HMAC of the id under SIGNING_SECRET,
 * so the mail sender can write it into the link at send time while D1 and the queue hold only the
 * id and the token's SHA-256 (a database dump yields no usable link).
 */
export async function tokenFor(secret: string, tokenId: string): Promise<string> {
  return base64UrlEncode(await hmacSha256(secret, `account-token:v1:${tokenId}`));
}

export interface StagedMail {
  statements: ReturnType<MailingDeps["db"]["run"]>[];
  outboxIds: string[];
}

/**
 * The statements that store one mail and its `mail.send` job, for the batch of the write it
 * follows. `to` is an address, or a SQL expression reading it (the reset reads it from the account
 * row, so that no row is written when no account has the address). `when` makes the mail row
 * conditional; the job is staged either way and finds nothing to send when the row was not
 * written, so both outcomes do the same work (docs/security.md B13).
 */
export function stageMail(
  deps: MailingDeps,
  mail: RenderedMail,
  args: { to: string | SQL; tokenId?: string; when?: SQL },
): StagedMail {
  const now = deps.clock.now();
  const id = newId(now.getTime());
  const staged = deps.outbox.stage([{ type: "mail.send", mail_id: id }]);
  const insert = deps.db.run(
    sql`INSERT INTO ${mails} (${columnNames(mails.id, mails.to_address, mails.subject, mails.text_body, mails.html_body, mails.token_id, mails.created_at)})
        SELECT ${id}, ${args.to}, ${mail.subject}, ${mail.text}, ${mail.html}, ${args.tokenId ?? null}, ${now.toISOString()}
        WHERE ${args.when ?? sql`1`} AND ${args.to} IS NOT NULL`,
  );
  return { statements: [insert, staged.statement], outboxIds: staged.ids };
}

export interface NewToken {
  id: string;
  hash: string;
  createdAt: string;
  expiresAt: string;
}

/** A fresh token id and the hash of the token it stands for. */
export async function newAccountToken(deps: MailingDeps, purpose: TokenPurpose): Promise<NewToken> {
  const now = deps.clock.now();
  const id = newId(now.getTime());
  return {
    id,
    hash: await sha256Hex(await tokenFor(deps.config.signingSecret, id)),
    createdAt: now.toISOString(),
    expiresAt: isoPlusSeconds(now, TOKEN_TTL_SECONDS[purpose]),
  };
}

/** Stores a token for `userId` (a value or SQL reading it; no row when it reads NULL). */
export function insertTokenStatement(
  deps: Pick<MailingDeps, "db">,
  token: NewToken,
  args: { userId: string | SQL; purpose: TokenPurpose; email: string | null },
) {
  const t = accountTokens;
  return deps.db.run(
    sql`INSERT INTO ${t} (${columnNames(t.id, t.user_id, t.purpose, t.token_hash, t.email, t.created_at, t.expires_at)})
        SELECT ${token.id}, ${args.userId}, ${args.purpose}, ${token.hash}, ${args.email}, ${token.createdAt}, ${token.expiresAt}
        WHERE ${args.userId} IS NOT NULL`,
  );
}
