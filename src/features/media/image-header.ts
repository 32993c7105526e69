/**
 * Reads what an image claims to be from its first bytes, without decoding it: the real format
 * (magic bytes, never the declared type or a file name) and the pixel dimensions from the header.
 * Pixel caps are enforced on these numbers before any decoder sees the file, so a 200-byte PNG
 * declaring 30,000 × 30,000 is refused without allocating anything (docs/security.md G4).
 */

export type ImageType = "image/jpeg" | "image/png" | "image/webp" | "image/heic" | "image/avif";

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));
const u16be = (b: Uint8Array, at: number) => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const u32be = (b: Uint8Array, at: number) =>
  (((b[at] ?? 0) << 24) >>> 0) + (((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0));
const u24le = (b: Uint8Array, at: number) => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16);

const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis"]);

/** The format the bytes really are, or null for anything we do not accept (SVG, HTML, GIF, …). */
export function sniffType(b: Uint8Array): ImageType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 8 && ascii(b, 0, 8) === "\x89PNG\r\n\x1a\n") return "image/png";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") return "image/webp";
  if (b.length >= 16 && ascii(b, 4, 4) === "ftyp") {
    const boxSize = Math.min(u32be(b, 0), b.length);
    const brands = [ascii(b, 8, 4)];
    for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(b, at, 4));
    if (brands.some((x) => AVIF_BRANDS.has(x))) return "image/avif";
    if (brands.some((x) => HEIC_BRANDS.has(x))) return "image/heic";
  }
  return null;
}

function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at++;
      continue;
    }
    // Standalone markers carry no length.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = u16be(b, at + 2);
    if (length < 2) return null;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), hold the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16be(b, at + 5), width: u16be(b, at + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    at += 2 + length;
  }
  return null;
}

function pngSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") return null;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

function webpSize(b: Uint8Array): { width: number; height: number } | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8X" && b.length >= 30) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === "VP8L" && b.length >= 25 && b[20] === 0x2f) {
    const bits = (b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8 " && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return null;
}
const u16le = (b: Uint8Array, at: number) => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);

/** HEIF/AVIF: the largest `ispe` (image spatial extent) property inside meta/iprp/ipco. */
function isobmffSize(b: Uint8Array): { width: number; height: number } | null {
  let best: { width: number; height: number } | null = null;
  const walk = (start: number, end: number, depth: number) => {
    let at = start;
    while (at + 8 <= end && depth < 8) {
      let size = u32be(b, at);
      const type = ascii(b, at + 4, 4);
      let header = 8;
      if (size === 1) return; // 64-bit sizes only appear on mdat, which we never descend into
      if (size === 0) size = end - at;
      if (size < header || at + size > end) {
        if (type !== "mdat") return;
        size = end - at;
      }
      if (type === "meta") header += 4; // full box: version and flags
      if (type === "meta" || type === "iprp" || type === "ipco") walk(at + header, at + size, depth + 1);
      if (type === "ispe" && size >= 20) {
        const width = u32be(b, at + 12);
        const height = u32be(b, at + 16);
        if (!best || width * height > best.width * best.height) best = { width, height };
      }
      at += size;
    }
  };
  walk(0, b.length, 0);
  return best;
}

/** The type and dimensions from the first bytes of a file, or null when they cannot be read. */
export function readImageHeader(b: Uint8Array): ImageHeader | null {
  const type = sniffType(b);
  if (!type) return null;
  const size =
    type === "image/jpeg"
      ? jpegSize(b)
      : type === "image/png"
        ? pngSize(b)
        : type === "image/webp"
          ? webpSize(b)
          : isobmffSize(b);
  if (!size || size.width <= 0 || size.height <= 0) return null;
  return { type, ...size };
}

/**
 * Whether a file of `totalSize` bytes whose first bytes are `head` and last bytes `tail` is
 * complete: JPEG ends with EOI, PNG with IEND, WebP's RIFF size covers the file, and an ISOBMFF
 * file's top-level boxes add up to its size.
 */
export function looksComplete(type: ImageType, head: Uint8Array, tail: Uint8Array, totalSize: number): boolean {
  const end = (n: number) => tail.subarray(Math.max(0, tail.length - n));
  switch (type) {
    case "image/jpeg": {
      const last = end(2);
      return last[0] === 0xff && last[1] === 0xd9;
    }
    case "image/png":
      return ascii(end(8), 0, 8) === "IEND\xaeB`\x82";
    case "image/webp":
      return u32be(new Uint8Array([head[7] ?? 0, head[6] ?? 0, head[5] ?? 0, head[4] ?? 0]), 0) + 8 === totalSize;
    default:
      return true; // checked box by box by the caller, which can read more of the file
  }
}
