import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";

type Media = Schemas["Media"];

/** The types POST /v1/media takes (CreateMedia's `content_type` description). */
export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/avif"];

/**
 * Some systems give HEIC/AVIF files no MIME type; the extension then says what the server would be
 * told. Anything else keeps its own type, so the server answers 415 in its own words.
 */
export function contentTypeOf(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  const byExt: Record<string, string> = {
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    webp: "image/webp",
    heic: "image/heic",
    avif: "image/avif",
  };
  return byExt[ext] ?? "application/octet-stream";
}

export type Phase = "starting" | "uploading" | "processing" | "ready" | "failed";

export interface UploadEvents {
  phase(phase: Phase): void;
  /** Bytes sent so far, 0-1. */
  progress(fraction: number): void;
}

const aborted = () => new DOMException("The upload was cancelled.", "AbortError");

/**
 * PUTs the bytes to the signed upload URL. XMLHttpRequest rather than fetch: only it reports
 * upload progress, which the composer shows per image. The URL is the credential, so no token.
 */
function putBytes(
  url: string,
  headers: Record<string, string>,
  file: File,
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      const response = new Response(xhr.responseText || null, {
        status: xhr.status,
        headers: { "content-type": xhr.getResponseHeader("content-type") ?? "text/plain" },
      });
      void ApiProblem.from(response).then(reject);
    };
    xhr.onerror = () => reject(ApiProblem.network());
    xhr.onabort = () => reject(aborted());
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(aborted());
      },
      { once: true },
    );
  });
}

/** A processed image that the server could not read answers no reason, so the words are ours. */
export const PROCESSING_FAILED = new ApiProblem(
  422,
  "media_failed",
  "This photo couldn't be processed. It may be damaged or in a format Edgegram can't read. Remove it and try another.",
);

/**
 * One image's whole upload, as the API asks: a ticket (POST /v1/media), the bytes to its signed
 * URL, `complete`, then polling until processing is done. Answers the ready media, or throws the
 * problem of the step that failed (415/413 from the ticket, 422 from `complete`, a failed status).
 */
export async function uploadImage(file: File, events: UploadEvents, signal: AbortSignal): Promise<Media> {
  events.phase("starting");
  const ticket = await data(
    await api.POST("/v1/media", { body: { content_type: contentTypeOf(file), byte_size: file.size }, signal }),
  );
  events.phase("uploading");
  await putBytes(ticket.upload_url, ticket.upload_headers, file, events.progress, signal);
  events.phase("processing");
  const params = { path: { id: ticket.media_id } };
  let media = await data(await api.POST("/v1/media/{id}/complete", { params, signal }));
  // Processing runs on a queue; it usually takes a second or two, so poll often at first.
  let wait = 400;
  while (media.status !== "ready" && media.status !== "failed") {
    await pause(wait, signal);
    wait = Math.min(wait * 1.5, 3000);
    media = await data(await api.GET("/v1/media/{id}", { params, signal }));
  }
  if (media.status === "failed") throw PROCESSING_FAILED;
  events.phase("ready");
  return media;
}

export const isAbort = (error: unknown) => error instanceof DOMException && error.name === "AbortError";
