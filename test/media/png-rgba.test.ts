import { describe, expect, it } from "vitest";
import { pngToRgba } from "../../src/features/media/png-rgba";
import { fixture } from "../helpers/media";

/** RGBA of the quadrant fixture: red, green / blue, half-transparent white. */
function quadrants(): number[] {
  const colours = [
    [255, 0, 0, 255],
    [0, 255, 0, 255],
    [0, 0, 255, 255],
    [255, 255, 255, 128],
  ];
  const out: number[] = [];
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 8; x++) out.push(...(colours[(y < 3 ? 0 : 2) + (x < 4 ? 0 : 1)] ?? []));
  }
  return out;
}

const greyToRgba = (grey: Uint8Array, alpha: number) => [...grey].flatMap((g) => [g, g, g, alpha]);

describe("PNG to RGBA for the thumbhash", () => {
  it("reads 8-bit RGBA as stored", () => {
    const rgba = pngToRgba(fixture("png"));
    expect([rgba.width, rgba.height]).toEqual([64, 48]);
    expect(rgba.data).toEqual(fixture("gradient_rgba"));
  });

  it("looks palette indices up, with the palette's alpha (2-bit indices, tRNS)", () => {
    const rgba = pngToRgba(fixture("png_palette"));
    expect([rgba.width, rgba.height]).toEqual([8, 6]);
    expect([...rgba.data]).toEqual(quadrants());
  });

  it("reads an interlaced (Adam7) PNG to the same pixels as a plain one", () => {
    const rgba = pngToRgba(fixture("png_interlaced"));
    expect([rgba.width, rgba.height]).toEqual([64, 48]);
    expect(rgba.data).toEqual(fixture("gradient_rgba"));
  });

  it("scales 16-bit samples to 8 bits", () => {
    const rgba = pngToRgba(fixture("png_16bit"));
    const expected = fixture("gradient_rgba");
    expect([rgba.width, rgba.height]).toEqual([64, 48]);
    expect(rgba.data.length).toBe(expected.length);
    // libvips widened 8 to 16 bits by ×256, not ×257, so a sample may come back one lower.
    const off = rgba.data.filter((v, i) => Math.abs(v - (expected[i] ?? -9)) > 1);
    expect(off.length).toBe(0);
  });

  it("spreads grey over R, G and B, opaque or with its alpha channel", () => {
    const grey = fixture("grey_raw");
    expect(pngToRgba(fixture("png_grey")).data).toEqual(new Uint8Array(greyToRgba(grey, 255)));
    expect(pngToRgba(fixture("png_grey_alpha")).data).toEqual(new Uint8Array(greyToRgba(grey, 200)));
  });

  it("unpacks and scales sub-byte grey, and makes tRNS's colour key transparent", () => {
    const rgba = pngToRgba(fixture("png_grey_2bit_keyed"));
    expect([rgba.width, rgba.height]).toEqual([4, 2]);
    expect([...rgba.data]).toEqual(
      [
        [0, 0, 0, 255],
        [85, 85, 85, 0],
        [170, 170, 170, 255],
        [255, 255, 255, 255],
        [255, 255, 255, 255],
        [170, 170, 170, 255],
        [85, 85, 85, 0],
        [0, 0, 0, 255],
      ].flat(),
    );
  });

  it("throws on bytes that are not a PNG", () => {
    expect(() => pngToRgba(new TextEncoder().encode("not a png at all, not even close"))).toThrow();
  });
});
