import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  DHASH_HEIGHT,
  DHASH_WIDTH,
  dHash,
  dHashBands,
  hammingDistance,
  isDHash,
  isFeatureless,
} from "../../src/features/media/dhash";
import { blocklistScenes } from "../fixtures/images";

/** What the Images binding does at `complete`: squeeze to 9 × 8 (sharp's `fill`, as miniflare does), RGBA. */
async function hashOf(bytes: Buffer): Promise<string> {
  const { data, info } = await sharp(bytes)
    .resize(DHASH_WIDTH, DHASH_HEIGHT, { fit: "fill" })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return dHash({ width: info.width, height: info.height, data: new Uint8Array(data) });
}

describe("dHash", () => {
  it("is 16 hex digits, and the same image hashes to distance 0", async () => {
    const { scene_a } = await blocklistScenes();
    const a = await hashOf(scene_a);
    expect(isDHash(a)).toBe(true);
    expect(hammingDistance(a, await hashOf(Buffer.from(scene_a)))).toBe(0);
    // Structure, not a constant: both kinds of bits occur.
    expect(a).not.toMatch(/^(0{16}|f{16})$/);
  });

  it("moves a few bits for the same picture re-encoded at another quality and size, and about half for another picture", async () => {
    const { scene_a, scene_a_near, scene_b } = await blocklistScenes();
    const a = await hashOf(scene_a);
    const near = await hashOf(scene_a_near);
    const other = await hashOf(scene_b);
    expect(hammingDistance(a, near)).toBeLessThanOrEqual(3);
    expect(hammingDistance(a, other)).toBeGreaterThan(16);
  });

  it("reads brightness left to right, row by row, most significant bit first", () => {
    const data = new Uint8Array(DHASH_WIDTH * DHASH_HEIGHT * 4);
    // Row 0: each pixel darker than the last (every bit 1); other rows flat (every bit 0).
    for (let x = 0; x < DHASH_WIDTH; x++) data.set([255 - x * 20, 255 - x * 20, 255 - x * 20, 255], x * 4);
    expect(dHash({ width: DHASH_WIDTH, height: DHASH_HEIGHT, data })).toBe("ff00000000000000");
    expect(() => dHash({ width: 8, height: 8, data })).toThrow();
  });

  it("splits into eight one-byte bands and counts differing bits", () => {
    expect(dHashBands("0123456789abcdef")).toEqual(["01", "23", "45", "67", "89", "ab", "cd", "ef"]);
    expect(hammingDistance("0000000000000000", "ffffffffffffffff")).toBe(64);
    expect(hammingDistance("0000000000000000", "8000000000000001")).toBe(2);
    expect(() => hammingDistance("xyz", "0000000000000000")).toThrow();
  });

  it("calls a hash with fewer than 8 bits of either kind featureless (flat images, smooth gradients)", async () => {
    expect(isFeatureless("0000000000000000")).toBe(true);
    expect(isFeatureless("ffffffffffffffff")).toBe(true);
    expect(isFeatureless("0100000001000101")).toBe(true);
    expect(isFeatureless("0101010101010101")).toBe(false);
    const flat = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#3366aa" } })
      .jpeg()
      .toBuffer();
    expect(isFeatureless(await hashOf(flat))).toBe(true);
    const { scene_a, scene_b } = await blocklistScenes();
    expect(isFeatureless(await hashOf(scene_a))).toBe(false);
    expect(isFeatureless(await hashOf(scene_b))).toBe(false);
  });
});
