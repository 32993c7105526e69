import type { z } from "@hono/zod-openapi";
import { rgbaToThumbHash } from "thumbhash";
import type { MediaRow } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { base64UrlEncode, sha256HexOfStream } from "../../platform/crypto";
import { newId } from "../../platform/ids";
import type { OutputFormat } from "../../platform/images";
import { blocklistReportStatements, findBlocklistMatch } from "../moderation/blocklist-match";
import { DHASH_HEIGHT, DHASH_WIDTH, dHash } from "./dhash";
import { type ImageType, looksComplete, readImageHeader } from "./image-header";
import {
  countRecentUploads,
  deleteUnattached,
  findMedia,
  insertMedia,
  orphansBefore,
  refuseStatement,
  startProcessing,
  transition,
} from "./media.repo";
import {
  ACCEPTED_TYPES,
  type CreateMediaSchema,
  MAX_PIXELS,
  MAX_SIDE,
  type MediaSchema,
  type UploadTicketSchema,
  VARIANT_SIZES,
  type VariantSize,
} from "./media.schema";
import { pngToRgba } from "./png-rgba";
import { sign, verify } from "./signed-urls";

export type MediaDeps = Pick<Platform, "db" | "store" | "images" | "outbox" | "direct" | "clock" | "config" | "origin">;

type Media = z.infer<typeof MediaSchema>;
type UploadTicket = z.infer<typeof UploadTicketSchema>;

const UPLOAD_TTL_SECONDS = 600;
const HEAD_BYTES = 64 * 1024;
const MASTER_MAX_SIDE = 2048;
const THUMBHASH_SIDE = 100;
export const ORPHAN_AGE_SECONDS = 24 * 3600;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Delivery variants: the box each fits into. `thumb` is a centre-cropped square. */
const VARIANTS: Record<VariantSize, { width: number; height?: number; fit: "cover" | "scale-down" }> = {
  thumb: { width: 150, height: 150, fit: "cover" },
  small: { width: 320, fit: "scale-down" },
  medium: { width: 640, fit: "scale-down" },
  large: { width: 1080, fit: "scale-down" },
};

const EXTENSIONS: Record<OutputFormat, string> = {
  "image/avif": "avif",
  "image/webp": "webp",
  "image/jpeg": "jpg",
  "image/png": "png",
};

const originalKey = (ownerId: string, id: string) => `media/${ownerId}/${id}/original`;
const masterKey = (row: MediaRow) => `media/${row.owner_id}/${row.id}/master.webp`;
const variantKey = (ownerId: string, id: string, size: VariantSize, format: OutputFormat) =>
  `media/${ownerId}/${id}/${size}.${EXTENSIONS[format]}`;

/** Starts an upload: checks the declared type and size, records the media, signs a PUT URL. */
export async function createUpload(
  deps: MediaDeps,
  ownerId: string,
  input: z.infer<typeof CreateMediaSchema>,
): Promise<UploadTicket> {
  const { maxBytes, uploadsPer30Min } = deps.config.media;
  if (!(ACCEPTED_TYPES as readonly string[]).includes(input.content_type)) {
    throw new ApiError("unsupported_media_type", `content_type must be one of ${ACCEPTED_TYPES.join(", ")}.`);
  }
  if (input.byte_size > maxBytes) throw new ApiError("payload_too_large", `Images are limited to ${maxBytes} bytes.`);
  const now = deps.clock.now();
  const since = new Date(now.getTime() - 30 * 60 * 1000).toISOString();
  if ((await countRecentUploads(deps.db, ownerId, since)) >= uploadsPer30Min) {
    throw new ApiError("rate_limited", `At most ${uploadsPer30Min} uploads per 30 minutes.`, {
      headers: { "retry-after": "1800" },
    });
  }
  const id = newId(now.getTime());
  await insertMedia(deps.db, {
    id,
    owner_id: ownerId,
    status: "pending",
    declared_type: input.content_type,
    declared_size: input.byte_size,
    original_key: originalKey(ownerId, id),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  });
  const exp = seconds(now) + UPLOAD_TTL_SECONDS;
  const sig = await sign(deps.config.signingSecret, "upload", [id, ownerId, input.byte_size, input.content_type, exp]);
  const uploadUrl = deps.direct
    ? await deps.direct.presignPut(originalKey(ownerId, id), input.content_type, UPLOAD_TTL_SECONDS)
    : `${deps.origin}/uploads/${id}?exp=${exp}&sig=${sig}`;
  return {
    media_id: id,
    upload_url: uploadUrl,
    upload_method: "PUT",
    upload_headers: { "content-type": input.content_type },
    expires_at: new Date(exp * 1000).toISOString(),
  };
}

/** A stream that passes bytes through and fails the moment more than `max` have gone by. */
function capped(max: number, onTooLarge: (err: ApiError) => void): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > max) {
        const err = new ApiError("payload_too_large", `This upload is limited to ${max} bytes.`);
        onTooLarge(err);
        controller.error(err);
      } else controller.enqueue(chunk);
    },
  });
}

/**
 * Receives the bytes of an upload (the signed URL is the credential). The body streams into R2
 * through a counter: past the declared size it stops with 413, whatever Content-Length said.
 */
export async function receiveUpload(
  deps: MediaDeps,
  id: string,
  query: { exp: number; sig: string },
  body: ReadableStream<Uint8Array> | null,
): Promise<void> {
  const forbidden = new ApiError("forbidden", "This upload URL is not valid.");
  const row = await findMedia(deps.db, id);
  if (!row) throw forbidden;
  const parts = [row.id, row.owner_id, row.declared_size, row.declared_type, query.exp];
  if (!(await verify(deps.config.signingSecret, "upload", parts, query.sig, query.exp, seconds(deps.clock.now())))) {
    throw forbidden;
  }
  if (row.status !== "pending" && row.status !== "uploaded") {
    throw new ApiError("conflict", "This media has already been completed.");
  }
  if (!body) throw new ApiError("validation_failed", "The upload body is empty.");
  // R2 needs a known length: the stream must be exactly the declared size. The counter errors
  // the stream (and so the put) the moment it passes that size.
  let tooLarge: ApiError | null = null;
  const counted = body.pipeThrough(capped(row.declared_size, (err) => (tooLarge = err)));
  try {
    await deps.store.putStream(
      row.original_key,
      counted.pipeThrough(new FixedLengthStream(row.declared_size)),
      row.declared_type,
    );
  } catch (err) {
    if (tooLarge) throw tooLarge;
    throw new ApiError("validation_failed", "The upload ended before the declared byte_size.", {
      errors: [{ path: "byte_size", message: String(err instanceof Error ? err.message : err).slice(0, 200) }],
    });
  }
  const moved = await transition(deps.db, id, ["pending", "uploaded"], {
    status: "uploaded",
    updated_at: deps.clock.now().toISOString(),
  });
  // `complete` ran while these bytes were streaming in: it pinned the version it validated, so
  // these bytes will never be processed (docs/security.md G8). Say so rather than 204.
  if (!moved) throw new ApiError("conflict", "This media was completed while the upload was in progress.");
}

/** The owner's media, or 404 for anyone else. */
async function ownMedia(deps: MediaDeps, ownerId: string, id: string): Promise<MediaRow> {
  const row = await findMedia(deps.db, id);
  if (!row || row.owner_id !== ownerId) throw notFound("media");
  return row;
}

export async function getMedia(deps: MediaDeps, ownerId: string, id: string): Promise<Media> {
  return toMedia(deps, await ownMedia(deps, ownerId, id));
}

/** Does the file end where its format says it ends? ISOBMFF: the top-level boxes must add up. */
async function isComplete(
  deps: MediaDeps,
  row: MediaRow,
  etag: string,
  type: ImageType,
  head: Uint8Array,
  size: number,
): Promise<boolean | "replaced"> {
  if (type === "image/heic" || type === "image/avif") {
    let at = 0;
    for (let boxes = 0; boxes < 64 && at < size; boxes++) {
      const h = await deps.store.range(row.original_key, etag, at, 16);
      if (!h) return "replaced";
      if (h.length < 8) return false;
      const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
      let boxSize = view.getUint32(0);
      if (boxSize === 1 && h.length >= 16) boxSize = Number(view.getBigUint64(8));
      if (boxSize === 0) return true;
      if (boxSize < 8) return false;
      at += boxSize;
    }
    return at === size;
  }
  const tail = await deps.store.range(row.original_key, etag, Math.max(0, size - 16), Math.min(16, size));
  return tail ? looksComplete(type, head, tail, size) : "replaced";
}

/**
 * Validates an uploaded file from its bytes (never the declared type) and queues its processing.
 * Idempotent: completing media that is already processing or ready answers its current state.
 *
 * Every read is pinned to the etag of the object as first seen, and that etag is stored with the
 * media: the job then reads only that version. An upload URL stays usable after `complete` (a
 * presigned R2 URL cannot be revoked before its 10 minutes are up, and a Worker PUT that started
 * before `complete` still ends in a put), but what it writes is never what gets processed
 * (docs/security.md G8, G9).
 */
export async function completeUpload(deps: MediaDeps, ownerId: string, id: string): Promise<Media> {
  const row = await ownMedia(deps, ownerId, id);
  if (row.status === "processing" || row.status === "ready" || row.status === "failed") return toMedia(deps, row);
  // `pending` with an object in R2 is a direct (presigned) upload the Worker never saw.
  const stored = await deps.store.head(row.original_key);
  if (stored === null) throw new ApiError("conflict", "Upload the bytes to upload_url before completing.");
  const { size, etag } = stored;
  const replaced = () => new ApiError("conflict", "The upload changed while it was being validated; complete again.");
  if (size > row.declared_size || size > deps.config.media.maxBytes) {
    await deps.store.delete([row.original_key]);
    throw new ApiError("payload_too_large", `The upload is larger than the declared ${row.declared_size} bytes.`);
  }
  if (size < row.declared_size) {
    throw new ApiError("validation_failed", "The upload is smaller than the declared byte_size.", {
      errors: [{ path: "byte_size", message: `declared ${row.declared_size}, stored ${size}` }],
    });
  }
  const unsupported = (why: string) =>
    new ApiError("unsupported_media_type", `${why} Accepted: JPEG, PNG, WebP, HEIC and AVIF images.`);
  const head = await deps.store.range(row.original_key, etag, 0, Math.min(HEAD_BYTES, size));
  if (!head) throw replaced();
  const header = readImageHeader(head);
  if (!header) throw unsupported("The file is not an image we accept, or its header is unreadable.");
  const complete = await isComplete(deps, row, etag, header.type, head, size);
  if (complete === "replaced") throw replaced();
  if (!complete) throw unsupported("The image file is truncated.");
  if (header.width > MAX_SIDE || header.height > MAX_SIDE || header.width * header.height > MAX_PIXELS) {
    throw new ApiError(
      "payload_too_large",
      `Images may be at most ${MAX_SIDE} px a side and ${MAX_PIXELS / 1_000_000} megapixels; this one is ${header.width} × ${header.height}.`,
    );
  }
  const original = await deps.store.getVersion(row.original_key, etag);
  if (original === null || original === "replaced") throw replaced();
  const hashes = await imageHashes(deps, original.body, () => unsupported("The image could not be decoded."));
  const match = await findBlocklistMatch(deps.db, hashes, deps.config.media.blocklistMaxDistance);
  if (match) {
    // Refused for good: the row fails (a repeated `complete` answers it, failed), the bytes go,
    // and staff see a system report about the uploader (docs/security.md G13).
    const at = deps.clock.now();
    await deps.db.batch([
      refuseStatement(deps.db, id, ["pending", "uploaded"], {
        error: `blocklisted: entry ${match.entry.id}, distance ${match.distance}`,
        content_type: header.type,
        byte_size: size,
        width: header.width,
        height: header.height,
        validated_etag: etag,
        ...hashes,
        updated_at: at.toISOString(),
      }),
      ...(await blocklistReportStatements(deps, { uploaderId: ownerId, mediaId: id, match, now: at })),
    ]);
    await deps.store.delete([row.original_key]);
    throw new ApiError(
      "validation_failed",
      "This image cannot be posted: it matches an image removed for breaking our rules.",
      {
        errors: [{ path: "media_id", message: "matches a blocked image" }],
      },
    );
  }
  const now = deps.clock.now().toISOString();
  const { jobIds } = await startProcessing(deps.db, deps.outbox, id, ["pending", "uploaded"], {
    content_type: header.type,
    byte_size: size,
    width: header.width,
    height: header.height,
    validated_etag: etag,
    ...hashes,
    updated_at: now,
  });
  // Only the call that moved it stored the job; a concurrent repeat just reports the state.
  await deps.outbox.deliver(jobIds);
  return toMedia(deps, (await findMedia(deps.db, id)) ?? row);
}

/**
 * SHA-256 and 64-bit dHash of an image, for the media blocklist, in one pass over its bytes: one
 * branch is hashed as it streams, the other goes to the Images binding, which squeezes it to 9 × 8
 * (orientation applied) as a PNG the dHash reads. `undecodable` is thrown when the binding cannot
 * read the image.
 */
export async function imageHashes(
  deps: Pick<MediaDeps, "images">,
  body: ReadableStream<Uint8Array>,
  undecodable: () => Error,
): Promise<{ sha256: string; dhash: string }> {
  const [forDigest, forPixels] = body.tee();
  const pixels = async () => {
    try {
      const png = await new Response(
        await deps.images.transform(
          forPixels,
          { width: DHASH_WIDTH, height: DHASH_HEIGHT, fit: "squeeze" },
          "image/png",
        ),
      ).arrayBuffer();
      return dHash(pngToRgba(new Uint8Array(png)));
    } catch {
      throw undecodable();
    }
  };
  const [sha256, dhash] = await Promise.all([sha256HexOfStream(forDigest), pixels()]);
  return { sha256, dhash };
}

/**
 * The hashes of a ready image, from its master (for media uploaded before hashes were stored, so
 * staff can still blocklist it). The master is a re-encoding, so its SHA-256 is the master's, not
 * the upload's: that entry catches near duplicates through the dHash. Null without a master.
 */
export async function masterHashes(
  deps: Pick<MediaDeps, "images" | "store">,
  row: MediaRow,
): Promise<{ sha256: string; dhash: string } | null> {
  if (row.status !== "ready" || !row.master_key) return null;
  const master = await deps.store.get(row.master_key);
  if (!master) return null;
  return imageHashes(deps, master.body, () => new ApiError("conflict", "The stored image could not be decoded."));
}

/** Signed URLs of an account's avatar at the two sizes lists and profiles show (150 and 320 px). */
export async function avatarUrls(
  deps: Pick<MediaDeps, "config" | "clock" | "origin">,
  ownerId: string,
  mediaId: string,
): Promise<{ thumb: string; small: string }> {
  return signedUrls(deps, { id: mediaId, owner_id: ownerId }, ["thumb", "small"]);
}

/** Signed, expiring URLs of an image's four variants. */
export function deliveryUrls(
  deps: Pick<MediaDeps, "config" | "clock" | "origin">,
  row: Pick<MediaRow, "id" | "owner_id">,
  notAfter?: Date,
): Promise<NonNullable<Media["urls"]>> {
  return signedUrls(deps, row, VARIANT_SIZES, notAfter);
}

/** The signed URL of the 150 px variant alone (a notification's post card). */
export async function thumbnailUrl(
  deps: Pick<MediaDeps, "config" | "clock" | "origin">,
  row: Pick<MediaRow, "id" | "owner_id">,
): Promise<string> {
  return (await signedUrls(deps, row, ["thumb"])).thumb;
}

/** Signed, expiring URLs of the given variants only (each is one HMAC). */
async function signedUrls<S extends VariantSize>(
  deps: Pick<MediaDeps, "config" | "clock" | "origin">,
  row: Pick<MediaRow, "id" | "owner_id">,
  sizes: readonly S[],
  notAfter?: Date,
): Promise<Record<S, string>> {
  // Expiry is aligned to the TTL window so a URL stays the same (and cacheable) within it; a
  // caller whose content ends sooner (a live story) caps it there (docs/security.md A5).
  const ttl = deps.config.media.urlTtlSeconds;
  const windowExp = (Math.floor(seconds(deps.clock.now()) / ttl) + 2) * ttl;
  const exp = notAfter ? Math.min(windowExp, seconds(notAfter)) : windowExp;
  const entries = await Promise.all(
    sizes.map(async (size) => {
      const sig = await sign(deps.config.signingSecret, "media", [row.owner_id, row.id, size, exp]);
      return [size, `${deps.origin}/media/${row.owner_id}/${row.id}/${size}?exp=${exp}&sig=${sig}`] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<S, string>;
}

export async function toMedia(deps: MediaDeps, row: MediaRow): Promise<Media> {
  return {
    id: row.id,
    status: row.status,
    content_type: row.content_type,
    byte_size: row.byte_size,
    width: row.width,
    height: row.height,
    thumbhash: row.thumbhash,
    urls: row.status === "ready" ? await deliveryUrls(deps, row) : null,
    created_at: row.created_at,
  };
}

/** AVIF if the client takes it, else WebP, else JPEG (the one every client decodes). */
export function negotiateFormat(accept: string | undefined): OutputFormat {
  const accepted = (accept ?? "")
    .toLowerCase()
    .split(",")
    .map((part) => {
      const [type = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { type: type.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((a) => a.q > 0)
    .map((a) => a.type);
  if (accepted.includes("image/avif")) return "image/avif";
  if (accepted.includes("image/webp")) return "image/webp";
  return "image/jpeg";
}

export interface Delivery {
  body: ReadableStream | null;
  content_type: OutputFormat;
  etag: string;
  notModified: boolean;
}

/**
 * Serves a variant at a signed URL. A variant is made once by the Images binding from the
 * metadata-free master and kept in R2 under a deterministic key; later requests stream it from R2.
 * The URL names the owner, so a variant already made (and a 304) is served without touching D1:
 * the signature proves the API handed this URL out, and deleting media deletes its variants.
 * A bad or expired signature, or media that is not ready, answers 404.
 */
export async function deliver(
  deps: MediaDeps,
  args: { owner: string; id: string; size: string; exp?: string; sig?: string; accept?: string; ifNoneMatch?: string },
): Promise<Delivery> {
  const size = VARIANT_SIZES.find((s) => s === args.size);
  const exp = Number(args.exp);
  // A piece missing or malformed is the same 404 as a bad signature (README, "Delivery").
  if (!size || !args.sig || !args.exp || !Number.isSafeInteger(exp)) throw notFound("media");
  const parts = [args.owner, args.id, size, exp];
  if (!(await verify(deps.config.signingSecret, "media", parts, args.sig, exp, seconds(deps.clock.now())))) {
    throw notFound("media");
  }
  const format = negotiateFormat(args.accept);
  const key = variantKey(args.owner, args.id, size, format);
  // Strong validator: one key holds one immutable rendition.
  const etag = `"${args.id}-${size}.${EXTENSIONS[format]}"`;
  if (args.ifNoneMatch?.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    return { body: null, content_type: format, etag, notModified: true };
  }
  const cached = await deps.store.get(key);
  if (cached) return { body: cached.body, content_type: format, etag, notModified: false };

  const row = await findMedia(deps.db, args.id);
  if (row?.status !== "ready" || !row.master_key || row.owner_id !== args.owner) throw notFound("media");
  const bytes = await makeVariant(deps, { ...row, master_key: row.master_key }, size, format);
  if (!bytes) throw notFound("media");
  return { body: new Response(bytes).body, content_type: format, etag, notModified: false };
}

/** Makes a variant from the metadata-free master and keeps it in R2; null when the master is gone. */
async function makeVariant(
  deps: MediaDeps,
  row: Pick<MediaRow, "id" | "owner_id"> & { master_key: string },
  size: VariantSize,
  format: OutputFormat,
  keep = true,
): Promise<ArrayBuffer | null> {
  const master = await deps.store.get(row.master_key);
  if (!master) return null;
  const { width, height, fit } = VARIANTS[size];
  const bytes = await new Response(
    await deps.images.transform(master.body, { width, height, fit }, format),
  ).arrayBuffer();
  if (keep) await deps.store.putBytes(variantKey(row.owner_id, row.id, size, format), bytes, format);
  return bytes;
}

/**
 * The bytes of a ready image's variant, for the Worker's own use (the caption job sends the 640 px
 * JPEG to the model): from R2 if it was made before, else made now. Null when the media is not
 * ready or its master is gone. `keep: false` makes a missing variant without storing it (automatic
 * moderation runs as a post is made and may race its deletion: nothing may be left behind then).
 */
export async function variantBytes(
  deps: MediaDeps,
  mediaId: string,
  size: VariantSize,
  format: OutputFormat,
  keep = true,
): Promise<ArrayBuffer | null> {
  const row = await findMedia(deps.db, mediaId);
  if (row?.status !== "ready" || !row.master_key) return null;
  const cached = await deps.store.get(variantKey(row.owner_id, row.id, size, format));
  if (cached) return new Response(cached.body).arrayBuffer();
  return makeVariant(deps, { ...row, master_key: row.master_key }, size, format, keep);
}

/**
 * The media job: re-encodes the original into a master (metadata dropped, orientation applied,
 * at most 2048 px a side), computes the thumbhash from a tiny PNG of it, then deletes the original.
 * Redelivery is harmless: only media still `processing` is worked on, and every write is a put
 * to the same key.
 *
 * Only the version of the original that `complete` validated is read (its etag is in the row):
 * bytes put to the upload key after `complete` are refused and the media fails, so a late PUT
 * cannot slip an SVG or a pixel bomb past validation (docs/security.md G8, G9). A row in
 * `processing` without an etag was completed before etags were recorded and is refused too.
 */
export async function processMedia(deps: MediaDeps, id: string): Promise<void> {
  const row = await findMedia(deps.db, id);
  if (row?.status !== "processing") return;
  const original = row.validated_etag ? await deps.store.getVersion(row.original_key, row.validated_etag) : null;
  if (!original || original === "replaced") {
    // An earlier delivery of this job may have stored the master (from the validated bytes) and
    // died before its last write.
    const earlier = await deps.store.get(masterKey(row));
    if (earlier) await finishFromMaster(deps, row, await earlier.arrayBuffer());
    else if (!row.validated_etag) await failMedia(deps, id, "no validated version recorded");
    else if (original === "replaced") {
      await failMedia(deps, id, "original replaced after validation");
      await deps.store.delete([row.original_key]);
    } else await failMedia(deps, id, "original missing");
    return;
  }
  const master = await new Response(
    await deps.images.transform(
      original.body,
      { width: MASTER_MAX_SIDE, height: MASTER_MAX_SIDE, fit: "scale-down" },
      "image/webp",
    ),
  ).arrayBuffer();
  await deps.store.putBytes(masterKey(row), master, "image/webp");
  await finishFromMaster(deps, row, master);
}

async function finishFromMaster(deps: MediaDeps, row: MediaRow, master: ArrayBuffer): Promise<void> {
  const key = masterKey(row);
  const stream = () => new Blob([master]).stream();
  const info = await deps.images.info(stream());
  const png = await new Response(
    await deps.images.transform(
      stream(),
      { width: THUMBHASH_SIDE, height: THUMBHASH_SIDE, fit: "scale-down" },
      "image/png",
    ),
  ).arrayBuffer();
  const rgba = pngToRgba(new Uint8Array(png));
  const thumbhash = base64UrlEncode(rgbaToThumbHash(rgba.width, rgba.height, rgba.data));
  await transition(deps.db, row.id, ["processing"], {
    status: "ready",
    master_key: key,
    thumbhash,
    ...(info && { width: info.width, height: info.height }),
    updated_at: deps.clock.now().toISOString(),
  });
  await deps.store.delete([row.original_key]);
}

/** Called from the dead-letter queue: the job kept failing, so the media is marked failed. */
export async function failMedia(deps: Pick<MediaDeps, "db" | "clock">, id: string, reason: string): Promise<void> {
  await transition(deps.db, id, ["processing", "uploaded", "pending"], {
    status: "failed",
    error: reason.slice(0, 500),
    updated_at: deps.clock.now().toISOString(),
  });
}

/** Cron: media never attached to a post within 24 hours is deleted from D1 and R2. */
export async function sweepOrphans(deps: Pick<MediaDeps, "db" | "store" | "clock">): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - ORPHAN_AGE_SECONDS * 1000).toISOString();
  let removed = 0;
  for (let round = 0; round < 50; round++) {
    const rows = await orphansBefore(deps.db, cutoff, 100);
    if (rows.length === 0) break;
    const deleted = new Set(
      await deleteUnattached(
        deps.db,
        rows.map((r) => r.id),
      ),
    );
    for (const row of rows) if (deleted.has(row.id)) await deps.store.deletePrefix(`media/${row.owner_id}/${row.id}/`);
    removed += deleted.size;
  }
  return removed;
}
