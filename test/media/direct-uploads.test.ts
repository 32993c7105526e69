import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { directUploadsFor } from "../../src/platform/direct-uploads";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { fixture, startUpload } from "../helpers/media";

const s3 = {
  R2_ACCESS_KEY_ID: "AKIDEXAMPLE",
  R2_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  R2_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  R2_BUCKET_NAME: "edgegram-media",
};

describe("direct-to-R2 uploads (presigned, when R2 S3 credentials are set)", () => {
  it("are off without credentials", () => {
    expect(directUploadsFor(env)).toBeNull();
  });

  it("POST /v1/media returns a presigned PUT to R2's S3 endpoint for the media's key, valid 10 minutes", async () => {
    const user = await createUser();
    const res = await createApp().fetch(
      new Request("http://localhost/v1/media", {
        method: "POST",
        headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ content_type: "image/png", byte_size: 1234 }),
      }),
      { ...env, ...s3 },
      createExecutionContext(),
    );
    expect(res.status).toBe(201);
    const ticket = (await res.json()) as {
      media_id: string;
      upload_url: string;
      upload_headers: Record<string, string>;
    };
    const url = new URL(ticket.upload_url);
    expect(url.origin).toBe(`https://${s3.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`);
    expect(url.pathname).toBe(`/${s3.R2_BUCKET_NAME}/media/${user.id}/${ticket.media_id}/original`);
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\/\d{8}\/auto\/s3\/aws4_request$/);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toContain("content-type");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(ticket.upload_headers).toEqual({ "content-type": "image/png" });
  });

  // The client's PUT goes to R2, not to us: simulate it by writing the object into the bucket,
  // then check that `complete` validates what R2 holds exactly as it does for Worker uploads.
  async function directUpload(bytes: Uint8Array, declared: number, type = "image/png") {
    const user = await createUser();
    const ticket = await startUpload(user, type, declared);
    await env.MEDIA.put(`media/${user.id}/${ticket.media_id}/original`, bytes);
    const complete = await api("POST", `/v1/media/${ticket.media_id}/complete`, { token: user.accessToken });
    return { user, ticket, complete };
  }

  it("completes a direct upload of the declared size", async () => {
    const png = fixture("png");
    const { complete } = await directUpload(png, png.length);
    expect(complete.status).toBe(200);
    expect(await complete.json()).toMatchObject({
      status: "processing",
      content_type: "image/png",
      width: 64,
      height: 48,
    });
  });

  it("answers 413 and deletes the object when R2 holds more than was declared", async () => {
    const png = fixture("png");
    const { user, ticket, complete } = await directUpload(png, png.length - 100);
    await expectProblem(complete, 413, "payload_too_large");
    expect(await env.MEDIA.head(`media/${user.id}/${ticket.media_id}/original`)).toBeNull();
  });

  it("answers 422 when R2 holds less than was declared, and 415 for HTML", async () => {
    const png = fixture("png");
    await expectProblem((await directUpload(png, png.length + 100)).complete, 422, "validation_failed");
    const html = fixture("html");
    await expectProblem((await directUpload(html, html.length, "image/jpeg")).complete, 415, "unsupported_media_type");
  });
});
