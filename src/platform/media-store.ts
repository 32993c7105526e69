/**
 * R2, behind the few operations the app needs. The bucket is private: nothing in it is served
 * without going through the media routes, which never serve originals.
 */
export interface MediaStore {
  putStream(key: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<void>;
  putBytes(
    key: string,
    body: ArrayBuffer | Uint8Array | ReadableStream,
    contentType: string,
  ): Promise<{ etag: string }>;
  /** Size and etag of what the key holds now; null when it holds nothing. */
  head(key: string): Promise<{ size: number; etag: string } | null>;
  /**
   * Bytes of the version `etag` of the object; null when the key holds nothing or another version
   * (R2 checks the etag with the read, so the bytes cannot come from a different upload).
   */
  range(key: string, etag: string, offset: number, length: number): Promise<Uint8Array | null>;
  get(key: string): Promise<R2ObjectBody | null>;
  /** The object if it is still the version `etag`; "replaced" when the key holds another one. */
  getVersion(key: string, etag: string): Promise<R2ObjectBody | "replaced" | null>;
  delete(keys: string[]): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Multipart uploads, for objects written as a stream of unknown length (data exports): every
   * part but the last must have the same size, at least 5 MiB (R2's rule). Answers the upload id.
   */
  startMultipart(key: string, contentType: string): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<R2UploadedPart>;
  /** Joins the parts into the object; answers its size. */
  completeMultipart(key: string, uploadId: string, parts: R2UploadedPart[]): Promise<{ size: number }>;
  /** Drops an unfinished upload and its parts; one that is already gone or complete is not an error. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

export function mediaStoreFor(bucket: R2Bucket): MediaStore {
  return {
    async putStream(key, body, contentType) {
      await bucket.put(key, body, { httpMetadata: { contentType } });
    },
    async putBytes(key, body, contentType) {
      const object = await bucket.put(key, body, { httpMetadata: { contentType } });
      return { etag: object?.httpEtag ?? "" };
    },
    async head(key) {
      const object = await bucket.head(key);
      return object ? { size: object.size, etag: object.etag } : null;
    },
    async range(key, etag, offset, length) {
      const object = await bucket.get(key, { range: { offset, length }, onlyIf: { etagMatches: etag } });
      // A failed condition answers the object's metadata without a body.
      return object && "arrayBuffer" in object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    get: (key) => bucket.get(key),
    async getVersion(key, etag) {
      const object = await bucket.get(key, { onlyIf: { etagMatches: etag } });
      if (!object) return null;
      return "body" in object ? object : "replaced";
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
    },
    async deletePrefix(prefix) {
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        if (page.objects.length > 0) await bucket.delete(page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
    },
    async startMultipart(key, contentType) {
      return (await bucket.createMultipartUpload(key, { httpMetadata: { contentType } })).uploadId;
    },
    uploadPart: (key, uploadId, partNumber, bytes) =>
      bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, bytes),
    async completeMultipart(key, uploadId, parts) {
      const object = await bucket.resumeMultipartUpload(key, uploadId).complete(parts);
      return { size: object.size };
    },
    async abortMultipart(key, uploadId) {
      try {
        await bucket.resumeMultipartUpload(key, uploadId).abort();
      } catch {
        // Already aborted or completed, or expired (R2 drops unfinished uploads after 7 days).
      }
    },
  };
}
