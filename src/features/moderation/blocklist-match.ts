import { eq, or } from "drizzle-orm";
import { mediaBlocklist, users } from "../../db/schema";
import type { Platform } from "../../platform";
import { dHashBands, hammingDistance, isFeatureless } from "../media/dhash";
import { PRIORITY, systemReportStatements } from "./system-reports";

/*
 * The media blocklist's check of an upload (docs/moderation.md, "Media blocklist"), called by the
 * media feature at `complete`. Kept apart from the staff routes' service so the upload flow can
 * use it without importing the moderation service (whose subjects import media: a cycle).
 */

export type BlocklistEntryRow = typeof mediaBlocklist.$inferSelect;

export interface BlocklistMatch {
  entry: BlocklistEntryRow;
  /** Hamming distance between the dHashes; 0 for an exact SHA-256 match. */
  distance: number;
  exact: boolean;
}

/** The band columns in order, so a hash's bands line up with them. */
const BANDS = [
  mediaBlocklist.band0,
  mediaBlocklist.band1,
  mediaBlocklist.band2,
  mediaBlocklist.band3,
  mediaBlocklist.band4,
  mediaBlocklist.band5,
  mediaBlocklist.band6,
  mediaBlocklist.band7,
] as const;

/** The band columns' values for a new entry. */
export function bandValues(dhash: string) {
  const [band0 = "", band1 = "", band2 = "", band3 = "", band4 = "", band5 = "", band6 = "", band7 = ""] =
    dHashBands(dhash);
  return { band0, band1, band2, band3, band4, band5, band6, band7 };
}

/**
 * The closest entry that blocks an image with these hashes: the same SHA-256, or a dHash within
 * `maxDistance` bits (neither featureless). Two hashes within 7 bits agree on at least one of their 8 bytes, so the
 * candidates are the union of 9 index lookups (the SHA-256 and one per band); only they are compared.
 */
export async function findBlocklistMatch(
  db: Platform["db"],
  hashes: { sha256: string; dhash: string },
  maxDistance: number,
): Promise<BlocklistMatch | null> {
  // A featureless hash (a flat or gradient image) is near every other one: only the file counts.
  const byDistance = !isFeatureless(hashes.dhash);
  const bands = dHashBands(hashes.dhash);
  const candidates = await db
    .select()
    .from(mediaBlocklist)
    .where(
      or(
        eq(mediaBlocklist.sha256, hashes.sha256),
        ...(byDistance ? BANDS.map((column, i) => eq(column, bands[i] ?? "")) : []),
      ),
    );
  let best: BlocklistMatch | null = null;
  for (const entry of candidates) {
    const exact = entry.sha256 === hashes.sha256;
    const distance = exact ? 0 : hammingDistance(entry.dhash, hashes.dhash);
    if (!exact && (distance > maxDistance || isFeatureless(entry.dhash))) continue;
    if (best === null || (exact && !best.exact) || (exact === best.exact && distance < best.distance)) {
      best = { entry, distance, exact };
    }
  }
  return best;
}

/**
 * The statements, for the caller's batch, that put a refused upload in the review queue: a system
 * report about the uploader (an account subject: the image itself is never stored), at the top
 * of the queue, naming the entry and how close the match was.
 */
export async function blocklistReportStatements(
  deps: Pick<Platform, "db">,
  args: { uploaderId: string; mediaId: string; match: BlocklistMatch; now: Date },
) {
  const user = await deps.db.query.users.findFirst({ where: eq(users.id, args.uploaderId) });
  const { entry, distance, exact } = args.match;
  const how = exact ? "the same file (SHA-256)" : `a near duplicate (dHash distance ${distance})`;
  return systemReportStatements(deps, {
    subject: {
      type: "user",
      id: args.uploaderId,
      ownerId: args.uploaderId,
      contextId: null,
      content: user
        ? { username: user.username, display_name: user.display_name, bio: user.bio, created_at: user.created_at }
        : {},
    },
    reason: "other",
    note: `Upload ${args.mediaId} refused: ${how} of blocklist entry ${entry.id}${entry.note ? ` (${entry.note})` : ""}.`,
    flags: ["blocklist"],
    priority: PRIORITY.autoHidden,
    action: "blocklist_match",
    now: args.now,
  });
}
