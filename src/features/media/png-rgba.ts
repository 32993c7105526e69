import { type DecodedPng, decode } from "fast-png";

/**
 * RGBA, 8 bits a channel, from a PNG of any layout, for the one PNG this app decodes: the tiny
 * thumbnail the Images binding renders for the thumbhash (the binding's raw `rgba` output is not
 * available locally, so it outputs PNG). fast-png parses and inflates every layout (palette,
 * grey, interlaced, 1 to 16 bits), but hands the samples back as stored: packed below 8 bits,
 * 16-bit in a Uint16Array, palette indices rather than colours. thumbhash wants RGBA bytes, so
 * here they are widened, scaled and looked up.
 */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export function pngToRgba(png: Uint8Array): Rgba {
  const image = decode(png);
  const { width, height, channels, depth, palette, transparency } = image;
  const samples = unpacked(image);
  const max = 2 ** depth - 1;
  const to8 = (sample: number) => Math.round((sample * 255) / max);
  const rgba = new Uint8Array(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const at = pixel * channels;
    const out = pixel * 4;
    if (palette) {
      const entry = palette[samples[at] ?? 0];
      if (!entry) throw new Error("PNG palette index out of range");
      const [r = 0, g = 0, b = 0, a = 255] = entry;
      rgba.set([r, g, b, a], out);
      continue;
    }
    const grey = channels < 3;
    const colour = grey ? [samples[at] ?? 0] : [samples[at] ?? 0, samples[at + 1] ?? 0, samples[at + 2] ?? 0];
    const alphaAt = grey ? at + 1 : at + 3;
    // Without an alpha channel, tRNS names one colour (in stored samples) that is transparent.
    const alpha =
      channels === 2 || channels === 4
        ? to8(samples[alphaAt] ?? max)
        : transparency?.length === colour.length && colour.every((v, i) => v === transparency[i])
          ? 0
          : 255;
    const [r = 0, g = r, b = r] = colour.map(to8);
    rgba.set([r, g, b, alpha], out);
  }
  return { width, height, data: rgba };
}

/** One sample per array slot, rows unpadded: sub-byte depths (grey or palette, one channel) unpacked. */
function unpacked(image: DecodedPng): ArrayLike<number> {
  const { width, height, depth, data } = image;
  if (depth >= 8) return data;
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = 2 ** depth - 1;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)] ?? 0;
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}
