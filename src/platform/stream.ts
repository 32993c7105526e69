/**
 * Cloudflare Stream Live through its REST API (the `STREAM` binding's local mode has no live
 * inputs): create a live input per session, disable it when the session ends. The base URL is
 * configurable so tests talk to a fake Stream server (docs/live.md).
 */
export interface StreamConfig {
  accountId: string;
  apiToken: string;
  /** `https://api.cloudflare.com/client/v4` unless STREAM_API_BASE says otherwise. */
  apiBase: string;
  /** `customer-<code>.cloudflarestream.com`: where HLS and DASH manifests are served; optional. */
  customerHost: string | null;
}

export interface LiveIngest {
  rtmps_url: string | null;
  stream_key: string | null;
  srt_url: string | null;
  srt_stream_id: string | null;
  srt_passphrase: string | null;
  whip_url: string | null;
}

export interface LivePlayback {
  hls_url: string | null;
  dash_url: string | null;
  whep_url: string | null;
}

export interface LiveInput {
  uid: string;
  ingest: LiveIngest;
  playback: LivePlayback;
}

export interface StreamLive {
  createLiveInput(name: string): Promise<LiveInput>;
  /** Cuts the broadcaster off (`enabled: false`); an input already gone counts as done. */
  disableLiveInput(uid: string): Promise<void>;
}

export class StreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "StreamError";
  }
}

interface StreamEnvelope<T> {
  success: boolean;
  errors?: { code?: number; message?: string }[];
  result?: T;
}

interface LiveInputResult {
  uid: string;
  rtmps?: { url?: string; streamKey?: string };
  srt?: { url?: string; streamId?: string; passphrase?: string };
  webRTC?: { url?: string };
  webRTCPlayback?: { url?: string };
}

const TIMEOUT_MS = 10_000;

export function streamFor(config: StreamConfig): StreamLive {
  const inputs = `${config.apiBase}/accounts/${encodeURIComponent(config.accountId)}/stream/live_inputs`;
  const call = async <T>(method: string, url: string, body?: unknown): Promise<T | undefined> => {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${config.apiToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "manual",
    });
    const envelope = (await res.json().catch(() => null)) as StreamEnvelope<T> | null;
    if (!res.ok || !envelope?.success) {
      const detail = envelope?.errors?.map((e) => e.message).join("; ") || res.statusText;
      throw new StreamError(`Stream answered ${res.status}: ${detail}`, res.status);
    }
    return envelope.result;
  };
  return {
    async createLiveInput(name) {
      const result = await call<LiveInputResult>("POST", inputs, {
        meta: { name },
        recording: { mode: "automatic" },
      });
      if (!result?.uid) throw new StreamError("Stream created no live input", 502);
      const manifest = (kind: "video.m3u8" | "video.mpd") =>
        config.customerHost ? `https://${config.customerHost}/${result.uid}/manifest/${kind}` : null;
      return {
        uid: result.uid,
        ingest: {
          rtmps_url: result.rtmps?.url ?? null,
          stream_key: result.rtmps?.streamKey ?? null,
          srt_url: result.srt?.url ?? null,
          srt_stream_id: result.srt?.streamId ?? null,
          srt_passphrase: result.srt?.passphrase ?? null,
          whip_url: result.webRTC?.url ?? null,
        },
        playback: {
          hls_url: manifest("video.m3u8"),
          dash_url: manifest("video.mpd"),
          whep_url: result.webRTCPlayback?.url ?? null,
        },
      };
    },
    async disableLiveInput(uid) {
      try {
        await call("PUT", `${inputs}/${encodeURIComponent(uid)}`, { enabled: false });
      } catch (err) {
        if (err instanceof StreamError && err.status === 404) return;
        throw err;
      }
    },
  };
}
