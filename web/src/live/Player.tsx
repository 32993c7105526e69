import { useMemo } from "react";
import type { Schemas } from "../api/client";

type Playback = Schemas["LivePlayback"];

/**
 * Stream's own player page for a live input (`https://<customer host>/<uid>/iframe`): the server
 * hands out the HLS manifest at `https://<customer host>/<uid>/manifest/video.m3u8`, so the
 * player is the same host and uid. It plays HLS everywhere (with its own adaptive player) and is
 * allowed by the app's CSP (frame-src *.cloudflarestream.com).
 */
export function streamIframeUrl(hls: string | null): string | null {
  if (!hls) return null;
  const match = /^https:\/\/([a-z0-9-]+\.cloudflarestream\.com)\/([A-Za-z0-9]+)\/manifest\/video\.m3u8/.exec(hls);
  return match ? `https://${match[1]}/${match[2]}/iframe` : null;
}

/** Safari (and iOS) play HLS in a plain <video>; other browsers need a script player, which we do not ship. */
function nativeHls(): boolean {
  if (typeof document === "undefined") return false;
  return document.createElement("video").canPlayType("application/vnd.apple.mpegurl") !== "";
}

export function LivePlayer({ playback, title }: { playback: Playback; title: string }) {
  const iframe = streamIframeUrl(playback.hls_url);
  const native = useMemo(nativeHls, []);
  const frame = "aspect-video w-full overflow-hidden bg-black sm:rounded-xl";
  if (iframe) {
    return (
      <div className={frame}>
        <iframe
          src={`${iframe}?autoplay=true`}
          title={title}
          className="h-full w-full border-0"
          allow="accelerometer; gyroscope; autoplay; encrypted-media; picture-in-picture; fullscreen"
          allowFullScreen
        />
      </div>
    );
  }
  if (playback.hls_url && native) {
    return (
      <div className={frame}>
        {/* A live broadcast has no captions file to offer; the comments beside it are the text channel. */}
        {/* biome-ignore lint/a11y/useMediaCaption: live video without a caption track */}
        <video src={playback.hls_url} controls autoPlay playsInline className="h-full w-full" aria-label={title} />
      </div>
    );
  }
  if (playback.hls_url) {
    return (
      <div className={`${frame} flex flex-col items-center justify-center gap-2 p-4 text-center text-white`}>
        <p>This browser can't play the live video here.</p>
        <a href={playback.hls_url} className="font-semibold text-white underline" rel="noreferrer">
          Open the stream
        </a>
      </div>
    );
  }
  return null;
}
