import { useMemo, useState } from "react";
import { thumbHashToDataURL } from "thumbhash";
import type { Schemas } from "../api/client";

type Media = Pick<Schemas["PostMedia"], "width" | "height" | "thumbhash" | "alt_text" | "urls">;

/** A ThumbHash from the server (base64url) as a data URL to paint until the image loads. */
export function thumbhashUrl(hash: string | null): string | undefined {
  if (!hash) return undefined;
  try {
    const binary = atob(hash.replace(/-/g, "+").replace(/_/g, "/"));
    return thumbHashToDataURL(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * A post's photo: its ThumbHash blurred in place until the real image arrives, at the width the
 * layout needs (srcset over the server's 320/640/1080 renditions). The format is the server's
 * choice by the browser's Accept header (AVIF, else WebP, else JPEG), so one URL per width serves
 * every browser. The box keeps the photo's aspect ratio so nothing jumps when it loads.
 */
export function Picture({
  media,
  sizes = "(min-width: 640px) 600px, 100vw",
  className = "",
  eager = false,
  author,
}: {
  media: Media;
  sizes?: string;
  className?: string;
  eager?: boolean;
  /** Whose photo it is: named when the author gave no alt text, so no photo goes unannounced. */
  author: string;
}) {
  const [loaded, setLoaded] = useState(false);
  const blur = useMemo(() => thumbhashUrl(media.thumbhash), [media.thumbhash]);
  const ratio = media.width && media.height ? `${media.width} / ${media.height}` : "1 / 1";
  return (
    <div
      className={`relative overflow-hidden bg-neutral-200 ${className}`}
      style={{
        aspectRatio: ratio,
        backgroundImage: !loaded && blur ? `url(${blur})` : undefined,
        backgroundSize: "cover",
      }}
    >
      <img
        src={media.urls.medium}
        srcSet={`${media.urls.small} 320w, ${media.urls.medium} 640w, ${media.urls.large} 1080w`}
        sizes={sizes}
        alt={media.alt_text.trim() || `Photo by ${author}`}
        width={media.width ?? undefined}
        height={media.height ?? undefined}
        loading={eager ? "eager" : "lazy"}
        decoding="async"
        onLoad={() => setLoaded(true)}
        className={`absolute inset-0 h-full w-full object-cover motion-safe:transition-opacity motion-safe:duration-300 ${loaded ? "opacity-100" : "opacity-0"}`}
      />
    </div>
  );
}
