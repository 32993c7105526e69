import type { Rgba } from "./png-rgba";

/*
 * The 64-bit difference hash (dHash) of an image, for the media blocklist (docs/moderation.md).
 * The image is shrunk to 9 × 8 pixels (the Images binding does that, aspect ratio ignored), turned
 * to grey, and each of the 8 rows gives 8 bits: 1 where a pixel is brighter than its right-hand
 * neighbour. Re-encoding, resizing or a colour tweak move few bits; a different picture moves about
 * half of them. Two hashes are compared by their Hamming distance (bits that differ).
 */

export const DHASH_WIDTH = 9;
export const DHASH_HEIGHT = 8;

/** The dHash of a 9 × 8 RGBA image, as 16 hex digits (row by row, most significant bit first). */
export function dHash(image: Rgba): string {
  if (image.width !== DHASH_WIDTH || image.height !== DHASH_HEIGHT) {
    throw new Error(`dHash needs ${DHASH_WIDTH} × ${DHASH_HEIGHT} pixels, got ${image.width} × ${image.height}`);
  }
  // Integer Rec. 601 luma, so the same pixels always give the same bits on every runtime.
  const luma = (pixel: number) => {
    const at = pixel * 4;
    return (image.data[at] ?? 0) * 299 + (image.data[at + 1] ?? 0) * 587 + (image.data[at + 2] ?? 0) * 114;
  };
  let hex = "";
  for (let y = 0; y < DHASH_HEIGHT; y++) {
    let byte = 0;
    for (let x = 0; x < DHASH_WIDTH - 1; x++) {
      const left = luma(y * DHASH_WIDTH + x);
      const right = luma(y * DHASH_WIDTH + x + 1);
      byte = (byte << 1) | (left > right ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, "0");
  }
  return hex;
}

const DHASH_PATTERN = /^[0-9a-f]{16}$/;

export const isDHash = (value: string): boolean => DHASH_PATTERN.test(value);

/** The 8 one-byte bands of a dHash (2 hex digits each), the blocklist's index keys. */
export function dHashBands(hash: string): string[] {
  if (!isDHash(hash)) throw new Error("not a dHash");
  return Array.from({ length: 8 }, (_, i) => hash.slice(i * 2, i * 2 + 2));
}

/** Bits that differ between two dHashes (0..64). */
export function hammingDistance(a: string, b: string): number {
  if (!isDHash(a) || !isDHash(b)) throw new Error("not a dHash");
  let distance = 0;
  for (let i = 0; i < 16; i += 4) {
    let diff = Number.parseInt(a.slice(i, i + 4), 16) ^ Number.parseInt(b.slice(i, i + 4), 16);
    while (diff !== 0) {
      diff &= diff - 1;
      distance++;
    }
  }
  return distance;
}

/**
 * Whether a dHash says almost nothing about the picture: nearly all bits alike, as for a flat colour
 * or a smooth gradient (every gradient that brightens to the left hashes to ffff…, to the right to
 * 0000…). Such hashes are close to each other whatever the picture, so the blocklist matches them
 * only by SHA-256, never by distance.
 */
export function isFeatureless(hash: string): boolean {
  const ones = hammingDistance(hash, "0000000000000000");
  return ones < FEATURE_BITS || ones > 64 - FEATURE_BITS;
}

/** Fewer bits than this of either kind: featureless. */
const FEATURE_BITS = 8;
