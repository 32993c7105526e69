import type { z } from "@hono/zod-openapi";
import { desc, eq, lt, sql } from "drizzle-orm";
import { media, mediaBlocklist, moderationEvents } from "../../db/schema";
import type { Caller } from "../../env";
import { decodeCursor, invalidCursor, toPage } from "../../http/cursor";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { newId } from "../../platform/ids";
import { findMedia } from "../media/media.repo";
import { masterHashes } from "../media/media.service";
import { type BlocklistEntryRow, bandValues } from "./blocklist-match";
import type { BlocklistAddSchema, BlocklistEntrySchema } from "./moderation.schema";

/*
 * The media blocklist's staff side (docs/moderation.md, "Media blocklist"): staff add an image from
 * the review screen (by its media id), list the entries, and an admin removes one. Every add and
 * removal is an event in the audit log about the image's owner. Uploads are checked against the
 * list at `complete` (blocklist-match.ts, called by the media feature).
 */

export type BlocklistDeps = Pick<Platform, "db" | "config" | "clock" | "images" | "store">;
type BlocklistEntry = z.infer<typeof BlocklistEntrySchema>;

const LIST = "media-blocklist";

function toEntry(row: BlocklistEntryRow): BlocklistEntry {
  return {
    id: row.id,
    sha256: row.sha256,
    dhash: row.dhash,
    source_media_id: row.source_media_id,
    added_by: row.added_by,
    note: row.note,
    created_at: row.created_at,
  };
}

/**
 * `POST /v1/admin/media-blocklist`. The hashes are the ones stored at `complete`; media uploaded
 * before hashes were stored gets them computed now from its master (a ready image), and anything
 * else (never processed, master gone) answers 409. A file already listed (same SHA-256) answers
 * the existing entry (`created` false) and records nothing.
 *
 * The add event's id is the entry's id, so its removal finds the image's owner even after the
 * media row is gone (the orphan sweep deletes refused and unattached uploads).
 */
export async function addToBlocklist(
  deps: BlocklistDeps,
  staff: Caller,
  input: z.infer<typeof BlocklistAddSchema>,
): Promise<{ entry: BlocklistEntry; created: boolean }> {
  const row = await findMedia(deps.db, input.media_id);
  if (!row) throw notFound("media");
  const hashes =
    row.sha256 !== null && row.dhash !== null
      ? { sha256: row.sha256, dhash: row.dhash }
      : await masterHashes(deps, row);
  if (!hashes) {
    throw new ApiError(
      "conflict",
      "This image has no stored hashes and no processed copy to compute them from (it never finished processing), so it cannot be blocklisted.",
    );
  }
  const now = deps.clock.now();
  const at = now.toISOString();
  const id = newId(now.getTime());
  const b = mediaBlocklist;
  await deps.db.batch([
    deps.db
      .insert(b)
      .values({
        id,
        ...hashes,
        ...bandValues(hashes.dhash),
        source_media_id: row.id,
        added_by: staff.userId,
        note: input.note,
        created_at: at,
      })
      .onConflictDoNothing({ target: b.sha256 }),
    // Only when this call's entry went in: a repeat (or a concurrent add of the same file) records nothing.
    deps.db.run(sql`INSERT INTO ${moderationEvents} (id, subject_type, subject_id, owner_id, actor_id, action, note, created_at)
      SELECT ${id}, 'user', ${row.owner_id}, ${row.owner_id}, ${staff.userId}, 'blocklist', ${`Media ${row.id} blocklisted: ${input.note}`}, ${at}
      WHERE EXISTS (SELECT 1 FROM ${b} WHERE ${b.id} = ${id})`),
  ]);
  const entry = await deps.db.query.mediaBlocklist.findFirst({ where: eq(b.sha256, hashes.sha256) });
  if (!entry) throw new Error("blocklist entry not found after insert");
  return { entry: toEntry(entry), created: entry.id === id };
}

/** `GET /v1/admin/media-blocklist`: newest first. */
export async function listBlocklist(
  deps: Pick<Platform, "db" | "config">,
  query: { cursor?: string; limit: number },
): Promise<{ items: BlocklistEntry[]; next_cursor: string | null }> {
  const secret = deps.config.signingSecret;
  let before: string | null = null;
  if (query.cursor !== undefined) {
    const [value] = await decodeCursor(secret, LIST, query.cursor);
    if (typeof value !== "string") throw invalidCursor();
    before = value;
  }
  const rows = await deps.db
    .select()
    .from(mediaBlocklist)
    .where(before === null ? undefined : lt(mediaBlocklist.id, before))
    .orderBy(desc(mediaBlocklist.id))
    .limit(query.limit + 1);
  return toPage(rows, { limit: query.limit, secret, list: LIST, key: (r) => [r.id], map: toEntry });
}

/**
 * `DELETE /v1/admin/media-blocklist/{id}`: admins only (a moderator gets 403). Uploads of that image
 * are accepted again from now on; ones already refused stay failed.
 */
export async function removeFromBlocklist(deps: BlocklistDeps, staff: Caller, id: string): Promise<void> {
  if (staff.role !== "admin") throw new ApiError("forbidden", "Only an admin removes an image from the blocklist.");
  const entry = await deps.db.query.mediaBlocklist.findFirst({ where: eq(mediaBlocklist.id, id) });
  if (!entry) throw notFound("blocklist entry");
  const added = await deps.db.query.moderationEvents.findFirst({ where: eq(moderationEvents.id, entry.id) });
  const source =
    entry.source_media_id === null
      ? undefined
      : await deps.db.query.media.findFirst({ where: eq(media.id, entry.source_media_id) });
  // The owner as recorded when it was added; an entry without that event (none is made
  // elsewhere) is recorded against the staff account that added it.
  const ownerId = added?.owner_id ?? source?.owner_id ?? entry.added_by;
  const now = deps.clock.now();
  const at = now.toISOString();
  await deps.db.batch([
    deps.db.delete(mediaBlocklist).where(eq(mediaBlocklist.id, id)),
    // Only the call whose delete removed the entry records the event (`changes()` of the statement before).
    deps.db.run(sql`INSERT INTO ${moderationEvents} (id, subject_type, subject_id, owner_id, actor_id, action, note, created_at)
      SELECT ${newId(now.getTime())}, 'user', ${ownerId}, ${ownerId}, ${staff.userId}, 'unblocklist', ${`Blocklist entry ${entry.id} (media ${entry.source_media_id ?? "unknown"}) removed`}, ${at}
      WHERE changes() > 0`),
  ]);
}
