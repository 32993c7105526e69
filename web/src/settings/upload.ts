import { api, data, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";

type Media = Schemas["Media"];

/** The image types POST /v1/media takes (CreateMedia.content_type). */
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/avif"];

export type UploadStep = "uploading" | "checking" | "processing";

/**
 * Uploads one image the way the media API wants it: ask for a signed URL, PUT the bytes there
 * (XMLHttpRequest, because fetch reports no upload progress), mark it complete, then wait until
 * processing has made its renditions. Answers the ready media.
 */
export async function uploadImage(
  file: File,
  onProgress: (step: UploadStep, fraction: number) => void,
  signal?: AbortSignal,
): Promise<Media> {
  if (!IMAGE_TYPES.includes(file.type)) {
    throw new ApiProblem(415, "unsupported_media_type", "Choose a JPEG, PNG, WebP, HEIC or AVIF image.");
  }
  const { media_id, upload_url, upload_method, upload_headers } = await data(
    await api.POST("/v1/media", { body: { content_type: file.type, byte_size: file.size } }),
  );
  onProgress("uploading", 0);
  await put(upload_url, upload_method, upload_headers, file, (f) => onProgress("uploading", f), signal);
  onProgress("checking", 1);
  let media = await data(await api.POST("/v1/media/{id}/complete", { params: { path: { id: media_id } }, body: {} }));
  onProgress("processing", 1);
  const deadline = Date.now() + 90_000;
  let wait = 400;
  while (media.status !== "ready") {
    if (media.status === "failed") {
      throw new ApiProblem(422, "media_failed", "That image could not be processed. Try another one.");
    }
    if (Date.now() > deadline) throw new ApiProblem(0, "timeout", "Processing took too long. Try again.");
    if (signal?.aborted) throw new ApiProblem(0, "aborted", "The upload was cancelled.");
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 1.5, 3000);
    media = await data(await api.GET("/v1/media/{id}", { params: { path: { id: media_id } } }));
  }
  return media;
}

function put(
  url: string,
  method: string,
  headers: Record<string, string>,
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else
        reject(new ApiProblem(xhr.status, "upload_failed", `The upload failed (the server answered ${xhr.status}).`));
    };
    xhr.onerror = () => reject(ApiProblem.network());
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.onabort = () => reject(new ApiProblem(0, "aborted", "The upload was cancelled."));
    xhr.send(file);
  });
}
