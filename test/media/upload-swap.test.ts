import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { completeUpload, createUpload, processMedia, receiveUpload } from "../../src/features/media/media.service";
import { ApiError } from "../../src/http/errors";
import { platformFor } from "../../src/platform";
import { expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { fixture, put, uploadAndComplete, waitReady } from "../helpers/media";

/**
 * docs/security.md G8, G9: the bytes the media job decodes are exactly the bytes `complete`
 * validated. These tests run the service functions on a platform whose media queue only records,
 * so the job runs when the test says (after the swap), never on its own.
 */
function harness() {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => void sent.push(body),
    sendBatch: async (batch: Iterable<{ body: unknown }>) => {
      for (const m of batch) sent.push(m.body);
    },
  };
  const platform = platformFor({ ...env, MEDIA_QUEUE: queue } as unknown as Env, "http://localhost");
  // Every decode goes through the Images binding: a spy on it shows what the job decoded.
  const transform = vi.fn(platform.images.transform);
  const deps = { ...platform, images: { ...platform.images, transform } };
  return { deps, transform, sent };
}

async function status(id: string) {
  return env.DB.prepare("SELECT status, error FROM media WHERE id = ?")
    .bind(id)
    .first<{ status: string; error: string | null }>();
}

/** `bytes` padded with spaces (or cut) to exactly `length`: what a PUT of the declared size carries. */
function sized(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0x20);
  out.set(bytes.subarray(0, length));
  return out;
}

function queryOf(uploadUrl: string) {
  const url = new URL(uploadUrl);
  return { exp: Number(url.searchParams.get("exp")), sig: url.searchParams.get("sig") ?? "" };
}

describe("an upload swapped after `complete` validated it", () => {
  it("is never decoded when R2's object is overwritten after complete (a presigned URL still valid): the job fails", async () => {
    const { deps, transform, sent } = harness();
    const user = await createUser();
    const png = fixture("png");
    const ticket = await createUpload(deps, user.id, { content_type: "image/png", byte_size: png.length });
    const key = `media/${user.id}/${ticket.media_id}/original`;
    // The client's direct PUT to R2, then complete: the PNG is validated.
    await env.MEDIA.put(key, png);
    const completed = await completeUpload(deps, user.id, ticket.media_id);
    expect(completed.status).toBe("processing");
    expect(sent).toEqual([{ type: "media.process", media_id: ticket.media_id }]);
    // `complete` decoded the validated bytes for the blocklist's dHash; what counts is the job.
    transform.mockClear();

    // The presigned URL is still valid for minutes: a second direct PUT replaces the original
    // with a pixel bomb that `complete` would have refused.
    await env.MEDIA.put(key, fixture("bomb"));
    await processMedia(deps, ticket.media_id);

    expect(transform).not.toHaveBeenCalled();
    expect(await status(ticket.media_id)).toEqual({ status: "failed", error: "original replaced after validation" });
    expect(await env.MEDIA.head(key)).toBeNull();
    expect(await env.MEDIA.head(`media/${user.id}/${ticket.media_id}/master.webp`)).toBeNull();
  });

  it("is never decoded when a Worker PUT that started before complete ends after it: that PUT answers 409", async () => {
    const { deps, transform } = harness();
    const user = await createUser();
    const png = fixture("png");
    const ticket = await createUpload(deps, user.id, { content_type: "image/png", byte_size: png.length });
    const query = queryOf(ticket.upload_url);
    await receiveUpload(deps, ticket.media_id, query, new Response(png).body);

    // A second PUT starts: it passes the status check and streams its body (an SVG with a
    // script, padded to the declared size) slowly, while the owner completes.
    const svg = sized(fixture("svg"), png.length);
    let started: () => void = () => {};
    const reading = new Promise<void>((resolve) => (started = resolve));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let sentBody = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sentBody) return controller.close();
        started();
        await released;
        sentBody = true;
        controller.enqueue(svg);
      },
    });
    const late = receiveUpload(deps, ticket.media_id, query, body).then(
      () => null,
      (err: unknown) => err,
    );
    await reading;
    expect((await completeUpload(deps, user.id, ticket.media_id)).status).toBe("processing");
    // `complete` decoded the validated bytes for the blocklist's dHash; what counts is the job.
    transform.mockClear();
    release();
    const err = await late;
    expect(err).toBeInstanceOf(ApiError);
    expect(err instanceof ApiError && err.code).toBe("conflict");
    // The late PUT did replace R2's object: the etag pin is what keeps it from being processed.
    const stored = await env.MEDIA.get(`media/${user.id}/${ticket.media_id}/original`);
    expect(new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(svg);

    await processMedia(deps, ticket.media_id);
    expect(transform).not.toHaveBeenCalled();
    expect((await status(ticket.media_id))?.status).toBe("failed");
  });

  it("processes exactly the validated bytes when nothing replaced them", async () => {
    const { deps, transform } = harness();
    const user = await createUser();
    const png = fixture("png");
    const ticket = await createUpload(deps, user.id, { content_type: "image/png", byte_size: png.length });
    await receiveUpload(deps, ticket.media_id, queryOf(ticket.upload_url), new Response(png).body);
    await completeUpload(deps, user.id, ticket.media_id);
    await processMedia(deps, ticket.media_id);
    expect(transform).toHaveBeenCalled();
    expect(await status(ticket.media_id)).toEqual({ status: "ready", error: null });
  });

  it("answers 409 to a PUT to the upload URL after complete, and changes nothing", async () => {
    const user = await createUser();
    const png = fixture("png");
    const { ticket, complete } = await uploadAndComplete(user, png, "image/png");
    expect(complete.status).toBe(200);
    const key = `media/${user.id}/${ticket.media_id}/original`;
    const before = await env.MEDIA.head(key);
    const row = await env.DB.prepare("SELECT * FROM media WHERE id = ?").bind(ticket.media_id).first();
    // The job may already have run (and deleted the original): either way the PUT stores nothing.
    await expectProblem(await put(ticket.upload_url, sized(fixture("svg"), png.length)), 409, "conflict");
    expect((await env.MEDIA.head(key))?.etag).toBe(before?.etag);
    if (row?.status === "processing") {
      expect(await env.DB.prepare("SELECT * FROM media WHERE id = ?").bind(ticket.media_id).first()).toEqual(row);
    }
    const media = await waitReady(user, ticket.media_id);
    expect(media).toMatchObject({ status: "ready", content_type: "image/png", width: 64, height: 48 });
  });

  it("answers 409 to complete when the object changes between its reads, and queues nothing", async () => {
    const { deps, sent } = harness();
    const user = await createUser();
    const png = fixture("png");
    const ticket = await createUpload(deps, user.id, { content_type: "image/png", byte_size: png.length });
    const key = `media/${user.id}/${ticket.media_id}/original`;
    await env.MEDIA.put(key, png);
    // The object is replaced right after `complete` read its size and etag (a direct PUT landing
    // mid-validation): the pinned reads that follow see another version.
    const head = deps.store.head;
    const store = {
      ...deps.store,
      head: async (k: string) => {
        const seen = await head(k);
        await env.MEDIA.put(key, sized(fixture("svg"), png.length));
        return seen;
      },
    };
    const err = await completeUpload({ ...deps, store }, user.id, ticket.media_id).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err instanceof ApiError && err.code).toBe("conflict");
    expect(sent).toEqual([]);
    expect((await status(ticket.media_id))?.status).toBe("pending");
  });
});
