/**
 * The Images binding: every decode, resize and re-encode goes through it (production: Cloudflare
 * Images; local: miniflare's sharp). Outputs never carry the input's metadata (EXIF, GPS, XMP),
 * and EXIF orientation is applied to the pixels.
 */
export type OutputFormat = "image/avif" | "image/webp" | "image/jpeg" | "image/png";

export interface ImageTransform {
  width?: number;
  height?: number;
  /** `squeeze`: exactly width × height, aspect ratio ignored (the dHash's 9 × 8). */
  fit?: "scale-down" | "contain" | "cover" | "crop" | "pad" | "squeeze";
}

export interface Images {
  transform(
    input: ReadableStream<Uint8Array>,
    transform: ImageTransform,
    format: OutputFormat,
  ): Promise<ReadableStream<Uint8Array>>;
  info(input: ReadableStream<Uint8Array>): Promise<{ width: number; height: number } | null>;
}

export function imagesFor(binding: ImagesBinding): Images {
  return {
    async transform(input, transform, format) {
      const result = await binding.input(input).transform(transform).output({ format });
      return result.image();
    },
    async info(input) {
      const info = await binding.info(input);
      return "width" in info ? { width: info.width, height: info.height } : null;
    },
  };
}
