import { makeZip } from "client-zip";
import { sql } from "drizzle-orm";
import { type DataExportRow, dataExports } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import { stageMail } from "../account/mailing";
import { sign, verify } from "../media/signed-urls";
import { exportEntries } from "./export.contents";
import { exportReadyMail } from "./export.mail";
import {
  accountRow,
  clearUpload,
  deleteExports,
  expiredExports,
  findExport,
  insertExport,
  latestExport,
  markFailed,
  markReady,
  startAttempt,
} from "./export.repo";
import type { ExportView } from "./export.schema";
import { uploadStream } from "./export.upload";

/*
 * Data export (docs/data-export.md): `POST /v1/me/export` records an export and queues
 * `export.build`; the job streams a ZIP of the account (client-zip) into R2 through a multipart
 * upload; `GET /v1/me/export` answers its state and, once ready, a signed download URL valid until
 * the hourly cron deletes the file, 7 days after it was made.
 */

export type ExportDeps = Pick<Platform, "db" | "clock" | "config" | "outbox" | "origin">;
export type BuildDeps = Pick<Platform, "db" | "clock" | "store" | "realtime" | "outbox" | "config">;

/** One export per account per 24 hours (a failed one does not count). */
const DAY_MS = 24 * 3600_000;
/** How long a ready export stays downloadable (and a failed one's row is kept). */
export const EXPORT_TTL_MS = 7 * DAY_MS;
/** The URL signature's purpose: a media or upload signature can never pass for one. */
const PURPOSE = "export";

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export const exportKey = (userId: string, exportId: string) => `exports/${userId}/${exportId}.zip`;

/** The download URL's path and query, signed over the export, its owner and its expiry. */
export async function downloadPath(secret: string, row: Pick<DataExportRow, "id" | "user_id">, expiresAt: string) {
  const exp = seconds(expiresAt);
  const sig = await sign(secret, PURPOSE, [row.id, row.user_id, exp]);
  return `/exports/${row.id}?exp=${exp}&sig=${sig}`;
}

async function viewOf(deps: ExportDeps, row: DataExportRow): Promise<ExportView> {
  const live =
    row.status === "ready" && row.expires_at !== null && Date.parse(row.expires_at) > deps.clock.now().getTime();
  return {
    id: row.id,
    status: row.status,
    url:
      live && row.expires_at
        ? `${deps.origin}${await downloadPath(deps.config.signingSecret, row, row.expires_at)}`
        : null,
    expires_at: row.status === "failed" ? null : row.expires_at,
    created_at: row.created_at,
    completed_at: row.completed_at,
    size_bytes: row.size_bytes,
  };
}

/**
 * `POST /v1/me/export`: starts an export, or answers the pending one; one made in the last 24
 * hours answers 429 with `retry-after` until the 24 hours have passed.
 */
export async function requestExport(deps: ExportDeps, userId: string): Promise<ExportView> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const dayAgo = new Date(now.getTime() - DAY_MS).toISOString();
  const current = await latestExport(deps.db, userId);
  if (current?.status === "pending") return viewOf(deps, current);
  if (current?.status === "ready" && current.created_at > dayAgo) throw tooSoon(current, now);

  const id = newId(now.getTime());
  const staged = deps.outbox.stage(
    [{ type: "export.build", export_id: id }],
    sql`EXISTS (SELECT 1 FROM ${dataExports} WHERE ${dataExports.id} = ${id})`,
  );
  if (await insertExport(deps.db, { id, userId, key: exportKey(userId, id), now: at, dayAgo }, staged)) {
    await deps.outbox.deliver(staged.ids);
    const row = await findExport(deps.db, id);
    if (!row) throw new Error(`export ${id} vanished after insert`);
    return viewOf(deps, row);
  }
  // A concurrent request won: answer its export.
  const raced = await latestExport(deps.db, userId);
  if (raced?.status === "pending") return viewOf(deps, raced);
  throw tooSoon(raced, now);
}

function tooSoon(row: DataExportRow | undefined, now: Date): ApiError {
  const freeAt = row ? Date.parse(row.created_at) + DAY_MS : now.getTime() + DAY_MS;
  const wait = Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
  return new ApiError("rate_limited", "One data export per 24 hours: download the one you have.", {
    headers: { "retry-after": String(wait) },
  });
}

/** `GET /v1/me/export`: the account's latest export; 404 when it has none. */
export async function getExport(deps: ExportDeps, userId: string): Promise<ExportView> {
  const row = await latestExport(deps.db, userId);
  if (!row) throw notFound("export");
  return viewOf(deps, row);
}

/**
 * `GET /exports/{id}?exp&sig`: the ZIP, for whoever holds the signed URL until it expires. Any
 * bad piece, an export not ready, or one whose file is gone: the same 404.
 */
export async function openDownload(
  deps: Pick<Platform, "db" | "clock" | "config" | "store">,
  args: { id: string; exp?: string; sig?: string },
): Promise<{ body: ReadableStream; size: number; filename: string }> {
  const exp = Number(args.exp);
  if (!args.sig || !args.exp || !Number.isSafeInteger(exp) || args.id.length > 64) throw notFound("export");
  const row = await findExport(deps.db, args.id);
  if (row?.status !== "ready" || !row.expires_at) throw notFound("export");
  const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
  const valid = await verify(deps.config.signingSecret, PURPOSE, [row.id, row.user_id, exp], args.sig, exp, nowSeconds);
  if (!valid || nowSeconds >= seconds(row.expires_at)) throw notFound("export");
  const object = await deps.store.get(row.object_key);
  if (!object) throw notFound("export");
  return { body: object.body, size: object.size, filename: `edgegram-export-${row.id}.zip` };
}

/**
 * The `export.build` job. Idempotent: an export that is not pending is left alone. An attempt
 * first aborts the multipart upload an earlier attempt left (a crash mid-way), then writes the
 * whole ZIP again under the same key; only the attempt whose upload is still the recorded one
 * may mark it ready, in the same batch as the notification it stages.
 */
export async function buildExport(deps: BuildDeps, exportId: string): Promise<void> {
  const row = await findExport(deps.db, exportId);
  if (row?.status !== "pending") return;
  if (row.upload_id) await deps.store.abortMultipart(row.object_key, row.upload_id);
  const account = await accountRow(deps.db, row.user_id);
  if (!account) {
    // The account is gone (deleted while the job waited): nothing to export, and no retry helps.
    const now = deps.clock.now();
    await markFailed(
      deps.db,
      exportId,
      "The account no longer exists.",
      now.toISOString(),
      new Date(now.getTime() + EXPORT_TTL_MS).toISOString(),
    );
    return;
  }
  const uploadId = await deps.store.startMultipart(row.object_key, "application/zip");
  if (!(await startAttempt(deps.db, exportId, uploadId))) {
    await deps.store.abortMultipart(row.object_key, uploadId);
    return;
  }
  let size: number;
  try {
    const zip = makeZip(exportEntries(deps, row.user_id, deps.clock.now()), { buffersAreUTF8: true });
    const { parts } = await uploadStream(deps.store, row.object_key, uploadId, zip);
    ({ size } = await deps.store.completeMultipart(row.object_key, uploadId, parts));
  } catch (err) {
    // Leave nothing half-written; a crash that skips this is cleaned up by the next attempt.
    await deps.store.abortMultipart(row.object_key, uploadId);
    await clearUpload(deps.db, exportId, uploadId);
    throw err;
  }
  const now = deps.clock.now();
  const completedAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + EXPORT_TTL_MS).toISOString();
  const x = dataExports;
  const staged = deps.outbox.stage(
    [
      {
        type: "notify",
        event: {
          kind: "direct",
          type: "system",
          recipient_id: row.user_id,
          actor_id: null,
          post_id: null,
          source_id: exportId,
          text: "Your data export is ready. Download it within 7 days from your account settings.",
          at: completedAt,
        },
      },
    ],
    sql`EXISTS (SELECT 1 FROM ${x} WHERE ${x.id} = ${exportId} AND ${x.status} = 'ready' AND ${x.completed_at} = ${completedAt})`,
  );
  // The mail too, stored and queued in the same batch and only if this delivery marked it ready, so
  // a redelivery mails nothing twice. Its link is the signed download under APP_URL: the web app
  // is served by this Worker, so the app's origin is also the download's (docs/data-export.md).
  const ready = sql`EXISTS (SELECT 1 FROM ${x} WHERE ${x.id} = ${exportId} AND ${x.status} = 'ready' AND ${x.completed_at} = ${completedAt})`;
  const mail = stageMail(
    deps,
    exportReadyMail({
      to: account.email,
      username: account.username,
      downloadUrl: `${deps.config.appUrl}${await downloadPath(deps.config.signingSecret, row, expiresAt)}`,
      expiresAt,
      sizeBytes: size,
    }),
    { to: account.email, when: ready },
  );
  if (await markReady(deps.db, { id: exportId, uploadId, size, completedAt, expiresAt }, staged, mail.statements)) {
    await deps.outbox.deliver([...staged.ids, ...mail.outboxIds]);
  }
}

/** Retries ran out (the dead-letter queue): the export failed, and its unfinished upload is dropped. */
export async function failExport(deps: Pick<Platform, "db" | "clock" | "store">, exportId: string): Promise<void> {
  const row = await findExport(deps.db, exportId);
  if (row?.status !== "pending") return;
  if (row.upload_id) await deps.store.abortMultipart(row.object_key, row.upload_id);
  const now = deps.clock.now();
  await markFailed(
    deps.db,
    exportId,
    "The export could not be written after several attempts.",
    now.toISOString(),
    new Date(now.getTime() + EXPORT_TTL_MS).toISOString(),
  );
}

/** Hourly: deletes the files (and rows) of exports older than 7 days, 100 at a time. */
export async function sweepExports(deps: Pick<Platform, "db" | "clock" | "store">): Promise<number> {
  let swept = 0;
  for (let round = 0; round < 10; round++) {
    const rows = await expiredExports(deps.db, deps.clock.now().toISOString(), 100);
    if (rows.length === 0) break;
    for (const r of rows) if (r.upload_id) await deps.store.abortMultipart(r.object_key, r.upload_id);
    await deps.store.delete(rows.map((r) => r.object_key));
    await deleteExports(
      deps.db,
      rows.map((r) => r.id),
    );
    swept += rows.length;
  }
  return swept;
}
