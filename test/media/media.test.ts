import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { readImageHeader } from "../../src/features/media/image-header";
import { negotiateFormat } from "../../src/features/media/media.service";
import worker from "../../src/index";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { contains, fixture, type MediaBody, put, startUpload, uploadAndComplete, waitReady } from "../helpers/media";
import { publish } from "../helpers/posts";

const SECRET_MAKE = "EDGEGRAM-SECRET-CAMERA";
const ACCEPTS = {
  avif: "image/avif,image/webp,image/*,*/*;q=0.8",
  webp: "image/webp,image/*,*/*;q=0.8",
  jpeg: "image/jpeg",
} as const;

function magic(bytes: Uint8Array): string {
  const ascii = (a: number, n: number) => String.fromCharCode(...bytes.subarray(a, a + n));
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (ascii(0, 4) === "RIFF" && ascii(8, 4) === "WEBP") return "webp";
  if (ascii(4, 8) === "ftypavif") return "avif";
  return "unknown";
}

const get = (url: string, headers: Record<string, string> = {}) => exports.default.fetch(new Request(url, { headers }));

describe("upload, validate, process, deliver", () => {
  it("strips EXIF and GPS from every size and format, chosen by Accept", async () => {
    const user = await createUser();
    const original = fixture("gps");
    expect(contains(original, SECRET_MAKE)).toBe(true);
    const { complete } = await uploadAndComplete(user, original);
    expect(complete.status).toBe(200);
    const started = await startOf(complete);
    expect(started).toMatchObject({ status: "processing", content_type: "image/jpeg", width: 1600, height: 1200 });

    const media = await waitReady(user, started.id);
    expect(media.status).toBe("ready");
    expect(media.thumbhash).toMatch(/^[A-Za-z0-9_-]{20,40}$/);
    expect(media.urls).not.toBeNull();

    const expectedWidth = { thumb: 150, small: 320, medium: 640, large: 1080 };
    for (const [size, url] of Object.entries(media.urls ?? {})) {
      for (const [format, accept] of Object.entries(ACCEPTS)) {
        const res = await get(url, { accept });
        expect(res.status, `${size} ${format}`).toBe(200);
        expect(res.headers.get("content-type")).toBe(`image/${format}`);
        expect(res.headers.get("vary")).toBe("Accept");
        expect(res.headers.get("cache-control")).toContain("immutable");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(magic(bytes), `${size} ${format}`).toBe(format);
        expect(contains(bytes, SECRET_MAKE), `${size} ${format} kept the camera make`).toBe(false);
        expect(contains(bytes, "Exif\0\0"), `${size} ${format} kept an EXIF block`).toBe(false);
        expect(contains(bytes, "Secret Model"), `${size} ${format}`).toBe(false);
        const header = readImageHeader(bytes);
        expect(header?.width, `${size} ${format}`).toBe(expectedWidth[size as keyof typeof expectedWidth]);
        if (size === "thumb") expect(header?.height).toBe(150);
      }
    }
    // The original (with its GPS) is gone from R2 once the master exists.
    const originals = await env.MEDIA.list({ prefix: `media/${user.id}/${media.id}/original` });
    expect(originals.objects).toHaveLength(0);

    const objects = await env.MEDIA.list({ prefix: `media/${user.id}/${media.id}/` });
    await env.MEDIA.delete(objects.objects.map((o) => o.key));
    await env.DB.prepare("DELETE FROM media WHERE id = ?").bind(media.id).run();
    expect((await get(media.urls?.small ?? "", { accept: ACCEPTS.webp })).status).toBe(404);
  });

  it("makes a variant once, keeps it in R2, and answers 304 to its ETag", async () => {
    const user = await createUser();
    const { complete } = await uploadAndComplete(user, fixture("png"), "image/png");
    const media = await waitReady(user, (await startOf(complete)).id);
    const url = media.urls?.small ?? "";
    const first = await get(url, { accept: ACCEPTS.webp });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const key = `media/${user.id}/${media.id}/small.webp`;
    const stored = await env.MEDIA.head(key);
    expect(stored).not.toBeNull();
    const second = await get(url, { accept: ACCEPTS.webp });
    expect(second.status).toBe(200);
    await second.arrayBuffer();
    expect((await env.MEDIA.head(key))?.uploaded.getTime()).toBe(stored?.uploaded.getTime());
    const etag = second.headers.get("etag") ?? "";
    expect(etag).toMatch(/^".+"$/);
    const revalidated = await get(url, { accept: ACCEPTS.webp, "if-none-match": etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get("vary")).toBe("Accept");
    // Another format is another representation with another ETag.
    const jpeg = await get(url, { accept: ACCEPTS.jpeg, "if-none-match": etag });
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get("etag")).not.toBe(etag);
  });

  it("applies EXIF orientation: a 300 × 200 photo marked 'rotate 90°' comes out 200 × 300", async () => {
    const user = await createUser();
    const { complete } = await uploadAndComplete(user, fixture("rotated"));
    const media = await waitReady(user, (await startOf(complete)).id);
    expect(media.status).toBe("ready");
    expect({ width: media.width, height: media.height }).toEqual({ width: 200, height: 300 });
  });

  it.each([
    ["webp", "image/webp", 100, 80],
    ["avif", "image/avif", 100, 80],
  ])("accepts %s uploads and reads their size from the header", async (name, type, width, height) => {
    const user = await createUser();
    const { complete } = await uploadAndComplete(user, fixture(name), type);
    expect(complete.status).toBe(200);
    expect(await complete.json()).toMatchObject({ content_type: type, width, height });
  });

  it("is idempotent: completing again answers the same media and queues nothing new", async () => {
    const user = await createUser();
    const { ticket, complete } = await uploadAndComplete(user, fixture("png"), "image/png");
    expect(complete.status).toBe(200);
    const again = await api("POST", `/v1/media/${ticket.media_id}/complete`, { token: user.accessToken });
    expect(again.status).toBe(200);
    expect(((await again.json()) as MediaBody).id).toBe(ticket.media_id);
  });
});

async function startOf(res: Response): Promise<MediaBody> {
  return (await res.clone().json()) as MediaBody;
}

describe("POST /v1/media errors", () => {
  it("answers 415 for a declared type we do not accept, 413 over the size cap, 422 for bad fields", async () => {
    const user = await createUser();
    const create = (body: unknown) => api("POST", "/v1/media", { token: user.accessToken, body });
    await expectProblem(await create({ content_type: "image/svg+xml", byte_size: 100 }), 415, "unsupported_media_type");
    await expectProblem(await create({ content_type: "image/gif", byte_size: 100 }), 415, "unsupported_media_type");
    await expectProblem(
      await create({ content_type: "image/jpeg", byte_size: 15 * 1024 * 1024 + 1 }),
      413,
      "payload_too_large",
    );
    await expectProblem(await create({ content_type: "image/jpeg", byte_size: 0 }), 422, "validation_failed");
    await expectProblem(
      await create({ content_type: "image/jpeg", byte_size: 10, filename: "../../x.jpg" }),
      422,
      "validation_failed",
    );
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM media WHERE owner_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("answers 429 for the 31st upload in 30 minutes", async () => {
    const user = await createUser();
    const now = new Date().toISOString();
    await env.DB.batch(
      Array.from({ length: 30 }, (_, i) =>
        env.DB.prepare(
          `INSERT INTO media (id, owner_id, status, declared_type, declared_size, original_key, created_at, updated_at)
           VALUES (?, ?, 'pending', 'image/jpeg', 10, 'k', ?, ?)`,
        ).bind(`RATE${i}${user.id}`, user.id, now, now),
      ),
    );
    const res = await api("POST", "/v1/media", {
      token: user.accessToken,
      body: { content_type: "image/jpeg", byte_size: 10 },
    });
    await expectProblem(res, 429, "rate_limited");
    expect(res.headers.get("retry-after")).toBe("1800");
  });
});

describe("PUT upload URL", () => {
  it("refuses a tampered, expired or re-targeted signature with 403 and stores nothing", async () => {
    const user = await createUser();
    const bytes = fixture("png");
    const ticket = await startUpload(user, "image/png", bytes.length);
    const url = new URL(ticket.upload_url);
    const sig = url.searchParams.get("sig") ?? "";
    const tampered = new URL(url);
    tampered.searchParams.set("sig", `${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`);
    await expectProblem(await put(tampered.toString(), bytes), 403, "forbidden");
    const later = new URL(url);
    later.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 3600));
    await expectProblem(await put(later.toString(), bytes), 403, "forbidden");
    const expired = new URL(url);
    expired.searchParams.set("exp", "1000");
    await expectProblem(await put(expired.toString(), bytes), 403, "forbidden");
    const other = await startUpload(user, "image/png", bytes.length);
    const retargeted = new URL(url);
    retargeted.pathname = `/uploads/${other.media_id}`;
    await expectProblem(await put(retargeted.toString(), bytes), 403, "forbidden");
    expect((await env.MEDIA.list({ prefix: `media/${user.id}/` })).objects).toHaveLength(0);
  });

  it("answers 413 the moment the body passes the declared size, and 422 when it is shorter", async () => {
    const user = await createUser();
    const bytes = fixture("png");
    const small = await startUpload(user, "image/png", bytes.length - 10);
    await expectProblem(await put(small.upload_url, bytes), 413, "payload_too_large");
    const large = await startUpload(user, "image/png", bytes.length + 10);
    await expectProblem(await put(large.upload_url, bytes), 422, "validation_failed");
    expect((await env.MEDIA.list({ prefix: `media/${user.id}/` })).objects).toHaveLength(0);
  });

  it("refuses uploads after completion (409)", async () => {
    const user = await createUser();
    const { ticket } = await uploadAndComplete(user, fixture("png"), "image/png");
    await expectProblem(await put(ticket.upload_url, fixture("png")), 409, "conflict");
  });
});

describe("POST /v1/media/{id}/complete errors", () => {
  it.each([
    ["HTML renamed to .jpg", "html", "image/jpeg", 415, "unsupported_media_type"],
    ["an SVG with a script", "svg", "image/png", 415, "unsupported_media_type"],
    ["a truncated JPEG", "truncated", "image/jpeg", 415, "unsupported_media_type"],
    ["a PNG whose header claims 30,000 × 30,000", "bomb", "image/png", 413, "payload_too_large"],
  ])("answers %s with the right problem and queues nothing", async (_label, name, type, status, code) => {
    const user = await createUser();
    const { ticket, complete } = await uploadAndComplete(user, fixture(name), type);
    await expectProblem(complete, status, code);
    const row = await env.DB.prepare("SELECT status FROM media WHERE id = ?")
      .bind(ticket.media_id)
      .first<{ status: string }>();
    expect(row?.status).toBe("uploaded");
  });

  it("answers 409 before the bytes are uploaded", async () => {
    const user = await createUser();
    const ticket = await startUpload(user, "image/png", 100);
    await expectProblem(
      await api("POST", `/v1/media/${ticket.media_id}/complete`, { token: user.accessToken }),
      409,
      "conflict",
    );
  });

  it("answers 404 for someone else's media, exactly as for a missing id", async () => {
    const [owner, mallory] = [await createUser(), await createUser()];
    const ticket = await startUpload(owner, "image/png", 100);
    const theirs = await api("POST", `/v1/media/${ticket.media_id}/complete`, { token: mallory.accessToken });
    const missing = await api("POST", "/v1/media/01JNOPE0000000000000000000/complete", { token: mallory.accessToken });
    await expectProblem(theirs, 404, "not_found");
    await expectProblem(missing, 404, "not_found");
    await expectProblem(
      await api("GET", `/v1/media/${ticket.media_id}`, { token: mallory.accessToken }),
      404,
      "not_found",
    );
  });
});

describe("delivery URLs", () => {
  it("answer 404 for a bad, missing or expired signature, another size's or owner's signature, or a raw key", async () => {
    const user = await createUser();
    const { complete } = await uploadAndComplete(user, fixture("png"), "image/png");
    const media = await waitReady(user, (await startOf(complete)).id);
    const url = new URL(media.urls?.small ?? "");
    const variants = [
      (u: URL) => u.searchParams.set("sig", "AAAAAAAAAAAAAAAAAAAAAA"),
      (u: URL) => u.searchParams.set("exp", "1000"),
      (u: URL) => {
        u.pathname = u.pathname.replace("/small", "/large");
      },
      (u: URL) => {
        u.pathname = u.pathname.replace("/small", "/original");
      },
      (u: URL) => u.searchParams.delete("sig"),
      (u: URL) => u.searchParams.delete("exp"),
      (u: URL) => u.searchParams.set("exp", "soon"),
      (u: URL) => {
        u.pathname = u.pathname.replace(user.id, "x".repeat(300));
      },
      (u: URL) => {
        u.pathname = u.pathname.replace(user.id, "01JSOMEONEELSE000000000000");
      },
    ];
    for (const change of variants) {
      const bad = new URL(url);
      change(bad);
      const res = await get(bad.toString());
      // A capability URL that is wrong in any way is the same 404 (README, "Delivery"), never a 422.
      expect(res.status, bad.toString()).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });

  it("negotiates AVIF, then WebP, then JPEG, honouring q=0", () => {
    expect(negotiateFormat("image/avif,image/webp,*/*")).toBe("image/avif");
    expect(negotiateFormat("image/webp,*/*")).toBe("image/webp");
    expect(negotiateFormat("image/avif;q=0,image/webp")).toBe("image/webp");
    expect(negotiateFormat("*/*")).toBe("image/jpeg");
    expect(negotiateFormat(undefined)).toBe("image/jpeg");
  });
});

describe("jobs and clean-up", () => {
  it("retries a failing job with growing backoff, then the dead-letter consumer marks the media failed", async () => {
    const { createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const user = await createUser();
    const ticket = await startUpload(user, "image/png", 100);
    // Processing with no original in R2 and no master: the job fails for good.
    await env.DB.prepare("UPDATE media SET status = 'processing' WHERE id = ?").bind(ticket.media_id).run();
    await env.DB.prepare("UPDATE media SET original_key = 'missing' WHERE id = ?").bind(ticket.media_id).run();

    const failing = await import("../../src/queues/consumer");
    expect([1, 2, 3, 20].map(failing.backoffSeconds)).toEqual([30, 60, 120, 43_200]);

    const body = { type: "media.process", media_id: ticket.media_id };
    const dlqBatch = createMessageBatch("edgegram-media-dlq", [{ id: "m1", timestamp: new Date(), attempts: 4, body }]);
    const ctx = createExecutionContext();
    await worker.queue(dlqBatch, env);
    const result = await getQueueResult(dlqBatch, ctx);
    expect(result.explicitAcks).toEqual(["m1"]);
    const row = await env.DB.prepare("SELECT status FROM media WHERE id = ?")
      .bind(ticket.media_id)
      .first<{ status: string }>();
    expect(row?.status).toBe("failed");
    const failed = await env.DB.prepare("SELECT queue, error FROM failed_jobs WHERE body LIKE ?")
      .bind(`%${ticket.media_id}%`)
      .all<{ queue: string; error: string }>();
    expect(failed.results).toEqual([{ queue: "edgegram-media-dlq", error: "retries exhausted" }]);
  });

  it("retries only the failing message of a batch and acks the rest; records malformed ones", async () => {
    const { createMessageBatch, getQueueResult } = await import("cloudflare:test");
    const ctx = createExecutionContext();
    const broken = { ...env, MEDIA: { get: () => Promise.reject(new Error("R2 is down")) } } as unknown as Env;
    const user = await createUser();
    const ticket = await startUpload(user, "image/png", 100);
    await env.DB.prepare("UPDATE media SET status = 'processing' WHERE id = ?").bind(ticket.media_id).run();
    const batch = createMessageBatch("edgegram-media", [
      {
        id: "ok-missing",
        timestamp: new Date(),
        attempts: 1,
        body: { type: "media.process", media_id: "no-such-media" },
      },
      { id: "fails", timestamp: new Date(), attempts: 2, body: { type: "media.process", media_id: ticket.media_id } },
      {
        id: "malformed",
        timestamp: new Date(),
        attempts: 1,
        body: { type: "media.process", imageUrl: "http://169.254.169.254/" },
      },
    ]);
    const failing = batch.messages[1];
    if (!failing) throw new Error("batch lost a message");
    const retry = vi.spyOn(failing, "retry");
    await worker.queue(batch, broken);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["malformed", "ok-missing"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["fails"]);
    // Second attempt: 30 s doubled.
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 60 });
    const malformed = await env.DB.prepare("SELECT error FROM failed_jobs WHERE body LIKE '%169.254%'").first<{
      error: string;
    }>();
    expect(malformed?.error).toMatch(/^malformed/);
  });

  it("the hourly sweep deletes media left unattached for 24 hours, from D1 and R2, and keeps the rest", async () => {
    const user = await createUser();
    const old = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
    const recent = new Date().toISOString();
    const insert = (id: string, created: string, attached: string | null) =>
      env.DB.prepare(
        `INSERT INTO media (id, owner_id, status, declared_type, declared_size, original_key, attached_at, created_at, updated_at)
         VALUES (?, ?, 'ready', 'image/png', 10, ?, ?, ?, ?)`,
      ).bind(id, user.id, `media/${user.id}/${id}/original`, attached, created, created);
    await env.DB.batch([insert("OLD1", old, null), insert("NEW1", recent, null), insert("USED", old, recent)]);
    for (const id of ["OLD1", "NEW1", "USED"]) await env.MEDIA.put(`media/${user.id}/${id}/master.webp`, "x");

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const left = await env.DB.prepare("SELECT id FROM media WHERE owner_id = ? ORDER BY id")
      .bind(user.id)
      .all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(["NEW1", "USED"]);
    const objects = await env.MEDIA.list({ prefix: `media/${user.id}/` });
    expect(objects.objects.map((o) => o.key).sort()).toEqual([
      `media/${user.id}/NEW1/master.webp`,
      `media/${user.id}/USED/master.webp`,
    ]);
  });
});

describe("avatars", () => {
  it("PATCH /v1/me takes the caller's own ready image as avatar and keeps it from the sweep", async () => {
    const [alice, mallory] = [await createUser(), await createUser()];
    const { complete } = await uploadAndComplete(alice, fixture("png"), "image/png");
    const media = await waitReady(alice, ((await complete.json()) as MediaBody).id);
    await expectProblem(
      await api("PATCH", "/v1/me", { token: mallory.accessToken, body: { avatar_media_id: media.id } }),
      422,
      "validation_failed",
    );
    const res = await api("PATCH", "/v1/me", { token: alice.accessToken, body: { avatar_media_id: media.id } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { avatar_media_id: string }).avatar_media_id).toBe(media.id);
    const row = await env.DB.prepare("SELECT attached_at FROM media WHERE id = ?")
      .bind(media.id)
      .first<{ attached_at: string | null }>();
    expect(row?.attached_at).not.toBeNull();
  });

  it("shows other people a signed avatar URL set on profiles, lists, post cards and comments", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const { complete } = await uploadAndComplete(alice, fixture("png"), "image/png");
    const media = await waitReady(alice, ((await complete.json()) as MediaBody).id);
    expect(
      (await api("PATCH", "/v1/me", { token: alice.accessToken, body: { avatar_media_id: media.id } })).status,
    ).toBe(200);
    expect((await api("POST", `/v1/users/${alice.username}/follow`, { token: bob.accessToken })).status).toBe(200);
    const post = await publish(alice);
    const comment = await api("POST", `/v1/posts/${post.id}/comments`, {
      token: alice.accessToken,
      body: { body: "hi" },
    });
    expect(comment.status).toBe(201);

    type Avatar = { thumb: string; small: string } | null;
    const profile = (await (await api("GET", `/v1/users/${alice.username}`, { token: bob.accessToken })).json()) as {
      avatar: Avatar;
    };
    const followers = (await (
      await api("GET", `/v1/users/${bob.username}/following`, { token: bob.accessToken })
    ).json()) as { items: { username: string; avatar: Avatar }[] };
    const card = (await (await api("GET", `/v1/posts/${post.id}`, { token: bob.accessToken })).json()) as {
      author: { avatar: Avatar };
    };
    const comments = (await (await api("GET", `/v1/posts/${post.id}/comments`, { token: bob.accessToken })).json()) as {
      items: { author: { avatar: Avatar } }[];
    };
    const sets = [
      profile.avatar,
      followers.items.find((u) => u.username === alice.username)?.avatar,
      card.author.avatar,
      comments.items[0]?.author.avatar,
    ];
    for (const set of sets) {
      expect(set?.thumb).toMatch(new RegExp(`/media/${alice.id}/${media.id}/thumb\\?exp=\\d+&sig=`));
      expect(set?.small).toMatch(new RegExp(`/media/${alice.id}/${media.id}/small\\?exp=\\d+&sig=`));
    }
    // Bob (or anyone holding the URL) can load it: the signature is the capability.
    const image = await exports.default.fetch(new Request(sets[0]?.thumb ?? "", { headers: { accept: "image/webp" } }));
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    // An account without an avatar has none.
    const bobs = (await (await api("GET", `/v1/users/${bob.username}`, { token: alice.accessToken })).json()) as {
      avatar: Avatar;
    };
    expect(bobs.avatar).toBeNull();
  });

  it("refuses an image that is not ready yet", async () => {
    const alice = await createUser();
    const ticket = await startUpload(alice, "image/png", 100);
    await expectProblem(
      await api("PATCH", "/v1/me", { token: alice.accessToken, body: { avatar_media_id: ticket.media_id } }),
      422,
      "validation_failed",
    );
  });
});
