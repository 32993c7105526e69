/**
 * A small PNG decoder (8-bit, non-interlaced; gray, gray+alpha, RGB, RGBA) for the one PNG this
 * app decodes: the tiny thumbnail the Images binding renders for the thumbhash. The binding's
 * `rgba` output is not available locally (PLATFORM.md), so it outputs PNG and we decode it here.
 * https://www.w3.org/TR/png-3/
 */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function decodePng(png: Uint8Array): Promise<Rgba> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 33 || view.getUint32(0) !== 0x89504e47) throw new Error("not a PNG");
  let at = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Uint8Array[] = [];
  while (at + 8 <= png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const bitDepth = png[at + 16];
      colorType = png[at + 17] ?? -1;
      if (bitDepth !== 8 || png[at + 20] !== 0 || !(colorType in CHANNELS)) throw new Error("unsupported PNG layout");
    } else if (type === "IDAT") {
      idat.push(body);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  const channels = CHANNELS[colorType];
  if (!channels || width === 0 || height === 0 || width * height > 1_000_000) throw new Error("unsupported PNG size");
  const raw = await inflate(new Uint8Array(await new Blob(idat).arrayBuffer()));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error("truncated PNG data");

  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (out[x - channels] ?? 0) : 0;
      const b = prev[x] ?? 0;
      const c = x >= channels ? (prev[x - channels] ?? 0) : 0;
      const v = line[x] ?? 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error("bad PNG filter");
      out[x] = (v + predicted) & 0xff;
    }
  }

  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const g = pixels[j] ?? 0;
    if (channels === 1 || channels === 2) {
      rgba.set([g, g, g, channels === 2 ? (pixels[j + 1] ?? 255) : 255], i * 4);
    } else {
      rgba.set([g, pixels[j + 1] ?? 0, pixels[j + 2] ?? 0, channels === 4 ? (pixels[j + 3] ?? 255) : 255], i * 4);
    }
  }
  return { width, height, data: rgba };
}
