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
  size(key: string): Promise<number | null>;
  range(key: string, offset: number, length: number): Promise<Uint8Array | null>;
  get(key: string): Promise<R2ObjectBody | null>;
  delete(keys: string[]): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
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
    async size(key) {
      return (await bucket.head(key))?.size ?? null;
    },
    async range(key, offset, length) {
      const object = await bucket.get(key, { range: { offset, length } });
      return object ? new Uint8Array(await object.arrayBuffer()) : null;
    },
    get: (key) => bucket.get(key),
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
  };
}
