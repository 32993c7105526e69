import { AwsClient } from "aws4fetch";

/**
 * Presigned PUT URLs straight to R2's S3 API (aws4fetch), used when R2 S3 credentials are
 * configured as secrets: the bytes then never pass through the Worker. A presigned URL cannot
 * enforce size or type, so `complete` validates the stored object exactly as it
 * validates a Worker-received upload: real size against the declared one, magic bytes, pixels.
 * Nor can it be revoked: it stays valid for its whole TTL whatever the media's status. A PUT after
 * `complete` therefore still lands in R2, but `complete` recorded the etag of the version it
 * validated and the media job reads only that version, so the late bytes are never processed: the
 * media fails instead (docs/security.md G9).
 */
export interface DirectUploads {
  presignPut(key: string, contentType: string, expiresSeconds: number): Promise<string>;
}

interface R2S3Settings {
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  R2_ACCOUNT_ID?: string;
  R2_BUCKET_NAME?: string;
  /** Overrides the endpoint (for a local S3-compatible endpoint); default is R2's. */
  R2_S3_ENDPOINT?: string;
}

export function directUploadsFor(env: Env): DirectUploads | null {
  const s = env as unknown as R2S3Settings;
  if (!s.R2_ACCESS_KEY_ID || !s.R2_SECRET_ACCESS_KEY || !s.R2_BUCKET_NAME || !(s.R2_ACCOUNT_ID || s.R2_S3_ENDPOINT)) {
    return null;
  }
  const endpoint = s.R2_S3_ENDPOINT ?? `https://${s.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`;
  const client = new AwsClient({
    accessKeyId: s.R2_ACCESS_KEY_ID,
    secretAccessKey: s.R2_SECRET_ACCESS_KEY,
    service: "s3",
    region: "auto",
  });
  return {
    async presignPut(key, contentType, expiresSeconds) {
      const url = new URL(`${endpoint.replace(/\/$/, "")}/${s.R2_BUCKET_NAME}/${key}`);
      url.searchParams.set("X-Amz-Expires", String(expiresSeconds));
      const signed = await client.sign(new Request(url, { method: "PUT", headers: { "content-type": contentType } }), {
        aws: { signQuery: true, allHeaders: true },
      });
      return signed.url;
    },
  };
}
