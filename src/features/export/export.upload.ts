import type { MediaStore } from "../../platform";

/**
 * R2's multipart rule: every part but the last has the same size, at least 5 MiB. The smallest
 * allowed keeps the buffer small (the writer holds one part while it uploads), and 10,000 parts
 * of 5 MiB bound an export at 50 GiB.
 */
export const PART_BYTES = 5 * 1024 * 1024;

/**
 * Reads a stream into R2 as the parts of a multipart upload, holding at most one part (plus one
 * incoming chunk) at a time: the stream is pulled only as fast as parts are uploaded.
 */
export async function uploadStream(
  store: Pick<MediaStore, "uploadPart">,
  key: string,
  uploadId: string,
  stream: ReadableStream<Uint8Array>,
  partBytes = PART_BYTES,
): Promise<{ parts: R2UploadedPart[]; bytes: number }> {
  const reader = stream.getReader();
  const parts: R2UploadedPart[] = [];
  let part = new Uint8Array(partBytes);
  let filled = 0;
  let bytes = 0;
  const flush = async (length: number) => {
    parts.push(await store.uploadPart(key, uploadId, parts.length + 1, part.subarray(0, length)));
    part = new Uint8Array(partBytes);
    filled = 0;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      let offset = 0;
      while (offset < value.byteLength) {
        const take = Math.min(partBytes - filled, value.byteLength - offset);
        part.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === partBytes) await flush(partBytes);
      }
    }
    // The last part may be short; an upload needs at least one.
    if (filled > 0 || parts.length === 0) await flush(filled);
    return { parts, bytes };
  } catch (err) {
    await reader.cancel(err).catch(() => undefined);
    throw err;
  } finally {
    reader.releaseLock();
  }
}
