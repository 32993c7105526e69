import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { unzipSync } from "fflate";
import { afterEach, describe, expect, it, vi } from "vitest";
import { exportKey, sweepExports } from "../../src/features/export/export.service";
import worker from "../../src/index";
import { platformFor } from "../../src/platform";
import { setClock } from "../../src/platform/clock";
import { newId } from "../../src/platform/ids";
import { api } from "../helpers/api";
import { sendHttp, startConversation } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { follow } from "../helpers/graph";
import { lastMail, mailbox } from "../helpers/mail";
import { publish, readyMedia } from "../helpers/posts";

interface ExportBody {
  id: string;
  status: "pending" | "ready" | "failed";
  url: string | null;
  expires_at: string | null;
  created_at: string;
  completed_at: string | null;
  size_bytes: number | null;
}

afterEach(() => setClock(null));

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const lines = (bytes: Uint8Array | undefined) =>
  text(bytes)
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function current(user: TestUser): Promise<ExportBody> {
  const res = await api("GET", "/v1/me/export", { token: user.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ExportBody;
}

/** Waits for the real queue's consumer to build the export. */
async function untilDone(user: TestUser): Promise<ExportBody> {
  let last: ExportBody | undefined;
  await vi.waitFor(
    async () => {
      last = await current(user);
      expect(last.status).not.toBe("pending");
    },
    { timeout: 30_000, interval: 100 },
  );
  if (!last) throw new Error("no export");
  return last;
}

async function download(url: string): Promise<Response> {
  const u = new URL(url);
  return api("GET", `${u.pathname}${u.search}`);
}

/** The status of a download, its body read and dropped. */
async function downloadStatus(url: string): Promise<number> {
  const res = await download(url);
  await res.arrayBuffer();
  return res.status;
}

async function unzip(url: string | null): Promise<Record<string, Uint8Array>> {
  expect(url).not.toBeNull();
  const res = await download(url ?? "");
  if (res.status !== 200) expect.fail(`download answered ${res.status}: ${await res.text()}`);
  expect(res.headers.get("content-type")).toBe("application/zip");
  expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="edgegram-export-[0-9A-Z]+\.zip"$/);
  return unzipSync(new Uint8Array(await res.arrayBuffer()));
}

/** An export row recorded without its job, so only the test's own deliveries run it. */
async function pendingExport(user: TestUser, uploadId: string | null = null): Promise<string> {
  const id = newId();
  await env.DB.prepare(
    "INSERT INTO exports (id, user_id, status, object_key, upload_id, created_at) VALUES (?1, ?2, 'pending', ?3, ?4, ?5)",
  )
    .bind(id, user.id, exportKey(user.id, id), uploadId, new Date().toISOString())
    .run();
  return id;
}

/** Delivers `export.build` for `id` through the Worker's queue handler, as the queue would. */
async function deliver(id: string, options: { bindings?: Env; queue?: string; attempts?: number } = {}) {
  const batch = createMessageBatch(options.queue ?? "edgegram-export", [
    {
      id: `m-${id}-${Math.random()}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body: { type: "export.build", export_id: id },
    },
  ]);
  await worker.queue(batch, options.bindings ?? env);
  return getQueueResult(batch, createExecutionContext());
}

async function row(id: string) {
  return env.DB.prepare("SELECT status, upload_id, attempts, completed_at, size_bytes FROM exports WHERE id = ?")
    .bind(id)
    .first<{
      status: string;
      upload_id: string | null;
      attempts: number;
      completed_at: string | null;
      size_bytes: number | null;
    }>();
}

/** A master image in R2 with distinct bytes, and the ready media row naming it. */
async function masterImage(owner: TestUser, bytes = 1024): Promise<{ id: string; bytes: Uint8Array }> {
  const id = await readyMedia(owner);
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65_536) crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65_536)));
  await env.MEDIA.put(`media/${owner.id}/${id}/master.webp`, data);
  return { id, bytes: data };
}

describe("data export", () => {
  it("builds a ZIP of the account, downloadable over the signed URL, and says so in a notification", async () => {
    const [alice, bob, carol] = await Promise.all([createUser(), createUser(), createUser()]);
    const image = await masterImage(alice, 300_000);
    const post = await publish(alice, { caption: `sunset #golden with @${bob.username}`, media_ids: [image.id] });
    const bobPost = await publish(bob, { caption: "bob's" });
    expect((await api("POST", `/v1/posts/${bobPost.id}/like`, { token: alice.accessToken })).status).toBe(200);
    expect((await api("POST", `/v1/posts/${bobPost.id}/save`, { token: alice.accessToken })).status).toBe(200);
    const comment = await api("POST", `/v1/posts/${bobPost.id}/comments`, {
      token: alice.accessToken,
      body: { body: "lovely" },
    });
    expect(comment.status, await comment.clone().text()).toBe(201);
    await follow(alice, bob);
    await follow(carol, alice);
    await follow(alice, carol);
    const conversation = await startConversation(alice, [bob]);
    expect((await sendHttp(alice, conversation.id, "hello from alice")).status).toBe(201);
    expect((await sendHttp(bob, conversation.id, "bob's own words")).status).toBe(201);

    const started = await api("POST", "/v1/me/export", { token: alice.accessToken });
    expect(started.status, await started.clone().text()).toBe(202);
    const pending = (await started.json()) as ExportBody;
    expect(pending).toMatchObject({ status: "pending", url: null, size_bytes: null });

    const ready = await untilDone(alice);
    expect(ready.status).toBe("ready");
    expect(ready.id).toBe(pending.id);
    expect(ready.size_bytes).toBeGreaterThan(300_000);
    const expires = Date.parse(ready.expires_at ?? "");
    expect(expires - Date.parse(ready.completed_at ?? "")).toBe(7 * 24 * 3600_000);

    // The mail says so too, once, with the signed link under APP_URL.
    const mail = await lastMail(alice.email, /data export is ready/);
    const path = new URL(ready.url ?? "").pathname;
    expect(mail.text).toContain(path);
    expect((await mailbox(alice.email)).filter((m) => /data export is ready/.test(m.subject))).toHaveLength(1);

    const files = await unzip(ready.url);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        "README.txt",
        "account.json",
        "posts.jsonl",
        "likes.jsonl",
        "messages.jsonl",
        `media/${image.id}.webp`,
      ]),
    );
    expect(text(files["README.txt"])).toContain("posts.jsonl");

    const account = JSON.parse(text(files["account.json"])) as Record<string, unknown>;
    expect(account).toMatchObject({ id: alice.id, username: alice.username, email: alice.email, is_private: false });
    expect(account.created_at).toEqual(expect.any(String));
    expect(account).not.toHaveProperty("password_hash");
    const raw = text(files["account.json"]);
    expect(raw).not.toContain("pbkdf2");
    expect(raw).not.toContain(alice.refreshToken);

    const posts = lines(files["posts.jsonl"]);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      id: post.id,
      caption: `sunset #golden with @${bob.username}`,
      hashtags: ["golden"],
      mentions: [{ id: bob.id, username: bob.username }],
      media: [{ media_id: image.id, position: 0, file: `media/${image.id}.webp` }],
    });
    expect(lines(files["likes.jsonl"])).toMatchObject([{ post_id: bobPost.id, post_author: bob.username }]);
    expect(lines(files["saves.jsonl"])).toMatchObject([{ post_id: bobPost.id }]);
    expect(lines(files["comments.jsonl"])).toMatchObject([{ post_id: bobPost.id, body: "lovely" }]);
    expect(
      lines(files["following.jsonl"])
        .map((l) => l.username)
        .sort(),
    ).toEqual([bob.username, carol.username].sort());
    expect(lines(files["followers.jsonl"])).toMatchObject([{ user_id: carol.id, username: carol.username }]);
    const messages = lines(files["messages.jsonl"]);
    expect(messages).toMatchObject([{ conversation_id: conversation.id, body: "hello from alice" }]);
    expect(text(files["messages.jsonl"])).not.toContain("bob's own words");
    expect(files[`media/${image.id}.webp`]).toEqual(image.bytes);

    // The notification, through the notify job.
    await vi.waitFor(
      async () => {
        const note = await env.DB.prepare(
          "SELECT type, text FROM notifications WHERE recipient_id = ?1 AND type = 'system'",
        )
          .bind(alice.id)
          .first<{ type: string; text: string }>();
        expect(note?.text).toContain("export is ready");
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it("allows one export per 24 hours: a pending one answers again, a second answers 429 with retry-after", async () => {
    const user = await createUser();
    const id = await pendingExport(user);
    const again = await api("POST", "/v1/me/export", { token: user.accessToken });
    expect(again.status).toBe(202);
    expect(((await again.json()) as ExportBody).id).toBe(id);

    expect((await deliver(id)).retryMessages).toEqual([]);
    expect((await current(user)).status).toBe("ready");
    const created = Date.parse((await current(user)).created_at);

    setClock({ now: () => new Date(created + 3600_000) });
    const second = await api("POST", "/v1/me/export", { token: user.accessToken });
    expect(second.status).toBe(429);
    expect(second.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(second.headers.get("retry-after"))).toBe(23 * 3600);

    setClock({ now: () => new Date(created + 24 * 3600_000 + 1000) });
    const later = await api("POST", "/v1/me/export", { token: user.accessToken });
    expect(later.status, await later.clone().text()).toBe(202);
    expect(((await later.json()) as ExportBody).id).not.toBe(id);
  });

  it("answers 404 to a tampered, expired or foreign URL, and to another account's GET", async () => {
    const [owner, other] = await Promise.all([createUser(), createUser()]);
    const id = await pendingExport(owner);
    await deliver(id);
    const ready = await current(owner);
    const url = new URL(ready.url ?? "");
    expect(await downloadStatus(url.href)).toBe(200);

    const sig = url.searchParams.get("sig") ?? "";
    const tampered = new URL(url);
    tampered.searchParams.set("sig", `${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`);
    expect(await downloadStatus(tampered.href)).toBe(404);
    const longer = new URL(url);
    longer.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 3600));
    expect(await downloadStatus(longer.href)).toBe(404);
    const noSig = new URL(url);
    noSig.searchParams.delete("sig");
    expect(await downloadStatus(noSig.href)).toBe(404);

    // The other account has no export, and its own export's signature does not open the owner's.
    expect((await api("GET", "/v1/me/export", { token: other.accessToken })).status).toBe(404);
    const otherId = await pendingExport(other);
    await deliver(otherId);
    const otherUrl = new URL((await current(other)).url ?? "");
    const swapped = new URL(otherUrl);
    swapped.pathname = `/exports/${id}`;
    expect(await downloadStatus(swapped.href)).toBe(404);
    expect(await downloadStatus(otherUrl.href)).toBe(200);

    setClock({ now: () => new Date(Date.parse(ready.expires_at ?? "") + 1000) });
    expect(await downloadStatus(url.href)).toBe(404);
    expect((await current(owner)).url).toBeNull();
  });

  it("does nothing on a redelivery of a ready export", async () => {
    const user = await createUser();
    const id = await pendingExport(user);
    await deliver(id);
    const first = await row(id);
    const head = await env.MEDIA.head(exportKey(user.id, id));
    expect((await deliver(id, { attempts: 2 })).retryMessages).toEqual([]);
    expect(await row(id)).toEqual(first);
    expect((await env.MEDIA.head(exportKey(user.id, id)))?.etag).toBe(head?.etag);
  });

  it("retries after the upload fails mid-way, aborting the old upload, and still writes one valid ZIP", async () => {
    const user = await createUser();
    const image = await masterImage(user, 64_000);
    await publish(user, { caption: "retry me", media_ids: [image.id] });
    const id = await pendingExport(user);

    let failures = 0;
    const flaky = new Proxy(env.MEDIA, {
      get(target, prop) {
        if (prop === "resumeMultipartUpload") {
          return (key: string, uploadId: string) => {
            const upload = target.resumeMultipartUpload(key, uploadId);
            return {
              key,
              uploadId,
              uploadPart: (n: number, body: Uint8Array) => {
                if (failures === 0) {
                  failures++;
                  return Promise.reject(new Error("R2 went away"));
                }
                return upload.uploadPart(n, body);
              },
              complete: (parts: R2UploadedPart[]) => upload.complete(parts),
              abort: () => upload.abort(),
            };
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const bindings = { ...env, MEDIA: flaky } as unknown as Env;
    const failed = await deliver(id, { bindings });
    expect(failed.retryMessages).toHaveLength(1);
    expect(await row(id)).toMatchObject({ status: "pending", upload_id: null, attempts: 1 });
    expect(await env.MEDIA.head(exportKey(user.id, id))).toBeNull();

    // A crash that left its upload behind: the next attempt aborts it before starting again.
    const orphan = await env.MEDIA.createMultipartUpload(exportKey(user.id, id));
    await env.DB.prepare("UPDATE exports SET upload_id = ?1 WHERE id = ?2").bind(orphan.uploadId, id).run();
    expect((await deliver(id, { bindings, attempts: 2 })).retryMessages).toEqual([]);
    await expect(
      env.MEDIA.resumeMultipartUpload(exportKey(user.id, id), orphan.uploadId).uploadPart(1, "x"),
    ).rejects.toThrow();

    expect(await row(id)).toMatchObject({ status: "ready", upload_id: null, attempts: 2 });
    const files = await unzip((await current(user)).url);
    expect(lines(files["posts.jsonl"])).toMatchObject([{ caption: "retry me" }]);
    expect(files[`media/${image.id}.webp`]).toEqual(image.bytes);
  });

  it("marks the export failed when retries run out (the dead-letter queue); a new one may be asked for", async () => {
    const user = await createUser();
    const id = await pendingExport(user);
    const orphan = await env.MEDIA.createMultipartUpload(exportKey(user.id, id));
    await env.DB.prepare("UPDATE exports SET upload_id = ?1 WHERE id = ?2").bind(orphan.uploadId, id).run();
    const result = await deliver(id, { queue: "edgegram-export-dlq", attempts: 4 });
    expect(result.retryMessages).toEqual([]);
    expect(await row(id)).toMatchObject({ status: "failed", upload_id: null });
    await expect(
      env.MEDIA.resumeMultipartUpload(exportKey(user.id, id), orphan.uploadId).uploadPart(1, "x"),
    ).rejects.toThrow();
    expect(await current(user)).toMatchObject({ id, status: "failed", url: null, expires_at: null });
    // A redelivery of the failed job does nothing.
    await deliver(id);
    expect((await row(id))?.status).toBe("failed");
    const again = await api("POST", "/v1/me/export", { token: user.accessToken });
    expect(again.status, await again.clone().text()).toBe(202);
  });

  it("fails at once, without retrying, when the account no longer exists", async () => {
    const user = await createUser();
    const id = await pendingExport(user);
    await env.DB.prepare("DELETE FROM users WHERE id = ?").bind(user.id).run();
    expect((await deliver(id)).retryMessages).toEqual([]);
    expect(await row(id)).toMatchObject({ status: "failed", upload_id: null, attempts: 0 });
    expect(await env.MEDIA.head(exportKey(user.id, id))).toBeNull();
  });

  it("reads from a room only the member's own messages, and nothing for a non-member", async () => {
    const [ann, ben, outsider] = await Promise.all([createUser(), createUser(), createUser()]);
    const conversation = await startConversation(ann, [ben]);
    for (const [who, body] of [
      [ann, "one"],
      [ben, "two"],
      [ann, "three"],
    ] as const) {
      expect((await sendHttp(who, conversation.id, body)).status).toBe(201);
    }
    const room = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(conversation.id));
    const mine = await room.sentMessages(conversation.id, ann.id, { afterSeq: 0, limit: 1 });
    expect(mine.ok && mine.messages.map((m) => m.body)).toEqual(["one"]);
    const next = mine.ok ? (mine.messages[0]?.seq ?? 0) : 0;
    const rest = await room.sentMessages(conversation.id, ann.id, { afterSeq: next, limit: 10 });
    expect(rest.ok && rest.messages.map((m) => m.body)).toEqual(["three"]);
    expect(await room.sentMessages(conversation.id, outsider.id, { afterSeq: 0, limit: 10 })).toEqual({
      ok: false,
      code: "not_member",
    });
  });

  it("deletes the file and the record once 7 days have passed (hourly cron)", async () => {
    const user = await createUser();
    const id = await pendingExport(user);
    await deliver(id);
    const ready = await current(user);
    expect(await env.MEDIA.head(exportKey(user.id, id))).not.toBeNull();
    setClock({ now: () => new Date(Date.parse(ready.expires_at ?? "") - 1000) });
    await sweepExports(platformFor(env));
    expect(await env.MEDIA.head(exportKey(user.id, id))).not.toBeNull();
    setClock({ now: () => new Date(Date.parse(ready.expires_at ?? "") + 1000) });
    await sweepExports(platformFor(env));
    expect(await env.MEDIA.head(exportKey(user.id, id))).toBeNull();
    expect(await row(id)).toBeNull();
    expect((await api("GET", "/v1/me/export", { token: user.accessToken })).status).toBe(404);
  });

  it("streams an account with 2,000 posts and 300 images (three 5 MiB parts) into one ZIP holding them all", async () => {
    const user = await createUser();
    const now = new Date().toISOString();
    const prefix = newId().slice(0, 21);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
       INSERT INTO posts (id, author_id, caption, audience, created_at, updated_at)
       SELECT printf('%s%05d', ?1, i), ?2, 'post number ' || i || ' #bulk', 'public', ?3, ?3 FROM n`,
    )
      .bind(prefix, user.id, now)
      .run();
    await env.DB.prepare(`INSERT INTO post_hashtags (post_id, tag) SELECT id, 'bulk' FROM posts WHERE author_id = ?1`)
      .bind(user.id)
      .run();
    const images: { id: string; bytes: Uint8Array }[] = [];
    for (let i = 0; i < 300; i++) images.push(await masterImage(user, 40_000));
    await env.DB.prepare(
      `INSERT INTO post_media (post_id, position, media_id)
       SELECT printf('%s%05d', ?1, key + 1), 0, value FROM json_each(?2)`,
    )
      .bind(prefix, JSON.stringify(images.map((m) => m.id)))
      .run();

    // Watch the bucket: which images are read and which parts are written, in order.
    const events: string[] = [];
    const partSizes: number[] = [];
    const watched = new Proxy(env.MEDIA, {
      get(target, prop) {
        if (prop === "get") {
          return (key: string) => {
            events.push(`get ${key}`);
            return target.get(key);
          };
        }
        if (prop === "resumeMultipartUpload") {
          return (key: string, uploadId: string) => {
            const upload = target.resumeMultipartUpload(key, uploadId);
            return {
              key,
              uploadId,
              uploadPart: (n: number, body: Uint8Array) => {
                events.push(`part ${n}`);
                partSizes.push(body.byteLength);
                return upload.uploadPart(n, body);
              },
              complete: (parts: R2UploadedPart[]) => upload.complete(parts),
              abort: () => upload.abort(),
            };
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

    const id = await pendingExport(user);
    expect((await deliver(id, { bindings: { ...env, MEDIA: watched } as unknown as Env })).retryMessages).toEqual([]);
    // Streamed, not built in memory and then uploaded: the first parts are written while images are
    // still being read, every part but the last is exactly 5 MiB, and each image is read once.
    const lastRead = events.findLastIndex((e) => e.startsWith("get "));
    expect(events.indexOf("part 1")).toBeLessThan(lastRead);
    expect(partSizes.length).toBeGreaterThanOrEqual(3);
    expect(partSizes.slice(0, -1).every((size) => size === 5 * 1024 * 1024)).toBe(true);
    expect(events.filter((e) => e.startsWith("get "))).toHaveLength(300);
    const ready = await current(user);
    expect(ready.status).toBe("ready");
    // More than one part: the multipart path, not a single small upload.
    expect(ready.size_bytes).toBeGreaterThan(12 * 1024 * 1024);
    const files = await unzip(ready.url);
    const posts = lines(files["posts.jsonl"]);
    expect(posts).toHaveLength(2000);
    expect(new Set(posts.map((p) => p.id)).size).toBe(2000);
    expect(posts[1999]).toMatchObject({ caption: "post number 2000 #bulk", hashtags: ["bulk"] });
    expect(posts[0]).toMatchObject({ media: [{ media_id: images[0]?.id }] });
    expect(Object.keys(files).filter((name) => name.startsWith("media/"))).toHaveLength(300);
    expect(files[`media/${images[299]?.id}.webp`]).toEqual(images[299]?.bytes);
  }, 120_000);
});
