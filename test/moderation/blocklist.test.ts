import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mediaBlocklist } from "../../src/db/schema";
import { bandValues, findBlocklistMatch } from "../../src/features/moderation/blocklist-match";
import { platformFor } from "../../src/platform";
import { api, expectProblem } from "../helpers/api";
import { createUser, type SessionBody, type TestUser } from "../helpers/factories";
import { fixture, uploadAndComplete, waitReady } from "../helpers/media";
import { publish } from "../helpers/posts";

/*
 * The media blocklist (docs/security.md G13): staff blocklist an image from the review screen; a
 * later upload of the same file, or of a near duplicate, is refused at `complete` with 422 and
 * enters the review queue as a system report about the uploader.
 */

interface Entry {
  id: string;
  sha256: string;
  dhash: string;
  source_media_id: string | null;
  added_by: string;
  note: string;
  created_at: string;
}

/** A signed-up account given a staff role in D1, then logged in again (the role is in the token). */
async function staff(role: "moderator" | "admin"): Promise<TestUser> {
  const user = await createUser();
  await env.DB.prepare("UPDATE users SET role = ? WHERE id = ?").bind(role, user.id).run();
  const res = await api("POST", "/v1/auth/login", { body: { login: user.username, password: user.password } });
  expect(res.status, await res.clone().text()).toBe(200);
  const session = (await res.json()) as SessionBody;
  return { ...user, accessToken: session.access_token, refreshToken: session.refresh_token };
}

/** An image `author` posted, and its id as staff see it on the post's review screen, with hashes. */
async function postedImage(author: TestUser, moderator: TestUser, name: string) {
  const { complete } = await uploadAndComplete(author, fixture(name));
  expect(complete.status, await complete.clone().text()).toBe(200);
  const { id } = (await complete.json()) as { id: string };
  expect((await waitReady(author, id)).status).toBe("ready");
  const post = await publish(author, { media_ids: [id] });
  const res = await api("GET", `/v1/admin/subjects/post/${post.id}`, { token: moderator.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  const detail = (await res.json()) as { media: { id: string; sha256: string | null; dhash: string | null }[] };
  expect(detail.media).toHaveLength(1);
  const [image] = detail.media;
  expect(image?.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(image?.dhash).toMatch(/^[0-9a-f]{16}$/);
  return { mediaId: image?.id ?? "", sha256: image?.sha256 ?? "", dhash: image?.dhash ?? "" };
}

async function block(moderator: TestUser, mediaId: string, note = "known abusive image") {
  return api("POST", "/v1/admin/media-blocklist", { token: moderator.accessToken, body: { media_id: mediaId, note } });
}

async function unblock(admin: TestUser, entryId: string) {
  return api("DELETE", `/v1/admin/media-blocklist/${entryId}`, { token: admin.accessToken });
}

async function mediaRow(id: string) {
  return env.DB.prepare("SELECT status, attached_at, sha256, dhash, original_key FROM media WHERE id = ?")
    .bind(id)
    .first<{
      status: string;
      attached_at: string | null;
      sha256: string | null;
      dhash: string | null;
      original_key: string;
    }>();
}

async function events(ownerId: string, action: string) {
  const { results } = await env.DB.prepare(
    "SELECT * FROM moderation_events WHERE owner_id = ? AND action = ? ORDER BY id",
  )
    .bind(ownerId, action)
    .all<{ actor_id: string | null; note: string; subject_type: string; subject_id: string }>();
  return results;
}

/** Uploads and completes; answers the complete response and the media id. */
async function tryUpload(user: TestUser, name: string) {
  const { ticket, complete } = await uploadAndComplete(user, fixture(name));
  return { complete, mediaId: ticket.media_id };
}

describe("media blocklist", () => {
  it("refuses the same file and a near duplicate at complete (422, failed, bytes gone, nothing attachable), accepts another image, and files a system report", async () => {
    const [moderator, admin, author, uploader] = await Promise.all([
      staff("moderator"),
      staff("admin"),
      createUser(),
      createUser(),
    ]);
    const image = await postedImage(author, moderator, "scene_a");
    const added = await block(moderator, image.mediaId);
    expect(added.status, await added.clone().text()).toBe(201);
    const entry = (await added.json()) as Entry;
    expect(entry).toMatchObject({
      sha256: image.sha256,
      dhash: image.dhash,
      source_media_id: image.mediaId,
      added_by: moderator.id,
      note: "known abusive image",
    });
    try {
      // The same bytes.
      const exact = await tryUpload(uploader, "scene_a");
      const problem = await expectProblem(exact.complete, 422, "validation_failed");
      expect(problem.detail).toMatch(/cannot be posted/);
      const row = await mediaRow(exact.mediaId);
      expect(row).toMatchObject({ status: "failed", attached_at: null, sha256: image.sha256 });
      expect(await env.MEDIA.head(row?.original_key ?? "")).toBeNull();
      // Nothing can use it: a post with it is refused, and completing again answers it, failed.
      const post = await api("POST", "/v1/posts", {
        token: uploader.accessToken,
        body: { media_ids: [exact.mediaId] },
      });
      expect(post.status).toBeGreaterThanOrEqual(400);
      expect((await mediaRow(exact.mediaId))?.attached_at).toBeNull();
      const again = await api("POST", `/v1/media/${exact.mediaId}/complete`, { token: uploader.accessToken });
      expect(again.status, await again.clone().text()).toBe(200);
      expect(((await again.json()) as { status: string }).status).toBe("failed");

      // Re-encoded at quality 60 and shrunk by 5 %: other bytes, nearly the same picture.
      const near = await tryUpload(uploader, "scene_a_near");
      await expectProblem(near.complete, 422, "validation_failed");
      const nearRow = await mediaRow(near.mediaId);
      expect(nearRow?.status).toBe("failed");
      expect(nearRow?.sha256).not.toBe(image.sha256);

      // An unrelated picture goes through, its hashes stored.
      const other = await tryUpload(uploader, "scene_b");
      expect(other.complete.status, await other.complete.clone().text()).toBe(200);
      expect((await mediaRow(other.mediaId))?.dhash).toMatch(/^[0-9a-f]{16}$/);
      expect((await waitReady(uploader, other.mediaId)).status).toBe("ready");

      // Staff see the uploader in the queue at the top priority, flagged by the blocklist.
      const queue = await api("GET", "/v1/admin/reports?limit=50", { token: moderator.accessToken });
      expect(queue.status, await queue.clone().text()).toBe(200);
      const { items } = (await queue.json()) as {
        items: {
          subject: { type: string; id: string };
          priority: number;
          flags: string[];
          reasons: string[];
          report_count: number;
        }[];
      };
      const subject = items.find((i) => i.subject.type === "user" && i.subject.id === uploader.id);
      expect(subject).toMatchObject({ priority: 30, flags: ["blocklist"], reasons: ["other"], report_count: 2 });
      const detail = await api("GET", `/v1/admin/subjects/user/${uploader.id}`, { token: moderator.accessToken });
      const { reports } = (await detail.json()) as { reports: { reporter_id: string | null; note: string }[] };
      expect(reports.map((r) => r.reporter_id)).toEqual([null, null]);
      expect(reports.map((r) => r.note).join("\n")).toContain(`blocklist entry ${entry.id}`);
      expect(reports.some((r) => /near duplicate \(dHash distance \d\)/.test(r.note))).toBe(true);
      expect(reports.some((r) => /same file/.test(r.note))).toBe(true);
      expect((await events(uploader.id, "blocklist_match")).map((e) => e.actor_id)).toEqual([null, null]);
    } finally {
      expect((await unblock(admin, entry.id)).status).toBe(204);
    }
    // Removed: the same file is accepted again.
    const later = await tryUpload(uploader, "scene_a");
    expect(later.complete.status, await later.complete.clone().text()).toBe(200);
  });

  it("adding the same file twice answers the existing entry (200) and records one event; add and removal are audited", async () => {
    const [moderator, admin, author] = await Promise.all([staff("moderator"), staff("admin"), createUser()]);
    const image = await postedImage(author, moderator, "scene_b");
    const first = await block(moderator, image.mediaId, "first");
    expect(first.status).toBe(201);
    const entry = (await first.json()) as Entry;
    const second = await block(admin, image.mediaId, "second");
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(entry);

    const added = await events(author.id, "blocklist");
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ actor_id: moderator.id, subject_type: "user", subject_id: author.id });
    expect(added[0]?.note).toContain("first");

    const list = await api("GET", "/v1/admin/media-blocklist", { token: moderator.accessToken });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: Entry[] }).items.map((e) => e.id)).toContain(entry.id);

    expect((await unblock(admin, entry.id)).status).toBe(204);
    await expectProblem(await unblock(admin, entry.id), 404, "not_found");
    const removed = await events(author.id, "unblocklist");
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ actor_id: admin.id, subject_type: "user", subject_id: author.id });
  });

  it("lets staff in and no one else: a user or no token gets 404 on all three routes, a moderator may add and list but not remove (403)", async () => {
    const [moderator, admin, user, author] = await Promise.all([
      staff("moderator"),
      staff("admin"),
      createUser(),
      createUser(),
    ]);
    const image = await postedImage(author, moderator, "png");
    for (const token of [user.accessToken, undefined]) {
      await expectProblem(
        await api("POST", "/v1/admin/media-blocklist", { token, body: { media_id: image.mediaId, note: "x" } }),
        404,
        "not_found",
      );
      await expectProblem(await api("GET", "/v1/admin/media-blocklist", { token }), 404, "not_found");
      await expectProblem(await api("DELETE", "/v1/admin/media-blocklist/01ABC", { token }), 404, "not_found");
    }
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM media_blocklist WHERE source_media_id = ?")
        .bind(image.mediaId)
        .first("n"),
    ).toBe(0);

    const added = await block(moderator, image.mediaId);
    expect(added.status).toBe(201);
    const entry = (await added.json()) as Entry;
    await expectProblem(await unblock(moderator, entry.id), 403, "forbidden");
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM media_blocklist WHERE id = ?").bind(entry.id).first("n"),
    ).toBe(1);
    expect(await events(author.id, "unblocklist")).toHaveLength(0);
    expect((await unblock(admin, entry.id)).status).toBe(204);
  });

  it("answers 422 for a bad body, 404 for unknown media, 409 for media never processed, and hashes a ready image stored without hashes from its master", async () => {
    const [moderator, admin, author] = await Promise.all([staff("moderator"), staff("admin"), createUser()]);
    await expectProblem(
      await api("POST", "/v1/admin/media-blocklist", { token: moderator.accessToken, body: { media_id: "x" } }),
      422,
      "validation_failed",
    );
    await expectProblem(await block(moderator, "01JUNKJUNKJUNKJUNKJUNKJUNK"), 404, "not_found");
    const pending = await api("POST", "/v1/media", {
      token: author.accessToken,
      body: { content_type: "image/png", byte_size: 100 },
    });
    const { media_id } = (await pending.json()) as { media_id: string };
    await expectProblem(await block(moderator, media_id), 409, "conflict");

    // Uploaded before hashes were stored: the entry's dHash comes from the master.
    const image = await postedImage(author, moderator, "webp");
    await env.DB.prepare("UPDATE media SET sha256 = NULL, dhash = NULL WHERE id = ?").bind(image.mediaId).run();
    const added = await block(moderator, image.mediaId);
    expect(added.status, await added.clone().text()).toBe(201);
    const entry = (await added.json()) as Entry;
    expect(entry.dhash).toMatch(/^[0-9a-f]{16}$/);
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.sha256).not.toBe(image.sha256);
    expect((await unblock(admin, entry.id)).status).toBe(204);
  });
});

describe("the blocklist lookup", () => {
  /** `hash` with the given bit positions (0 = most significant) flipped. */
  const flip = (hash: string, bits: number[]) => {
    let value = BigInt(`0x${hash}`);
    for (const bit of bits) value ^= 1n << BigInt(63 - bit);
    return value.toString(16).padStart(16, "0");
  };

  it("finds an entry within the distance through its bands, even one sharing a single band, nothing past it, and featureless hashes only by file", async () => {
    const deps = platformFor(env, "http://localhost");
    const base = "5a5a5a5a5a5a5a5a";
    // 7 bits apart, one in each of bands 0..6: only band 7 is shared.
    const farthest = flip(base, [0, 8, 16, 24, 32, 40, 48]);
    const id = `bl-${crypto.randomUUID()}`;
    await deps.db.insert(mediaBlocklist).values({
      id,
      sha256: crypto.randomUUID(),
      dhash: farthest,
      ...bandValues(farthest),
      source_media_id: null,
      added_by: "test",
      note: "",
      created_at: new Date().toISOString(),
    });
    try {
      const at = (max: number) => findBlocklistMatch(deps.db, { sha256: "none", dhash: base }, max);
      expect(await at(7)).toMatchObject({ entry: { id }, distance: 7, exact: false });
      expect(await at(6)).toBeNull();
      const near = await findBlocklistMatch(deps.db, { sha256: "none", dhash: flip(farthest, [1, 2]) }, 6);
      expect(near).toMatchObject({ entry: { id }, distance: 2 });
      // The same file matches whatever its dHash.
      const entry = await deps.db.query.mediaBlocklist.findFirst({ where: eq(mediaBlocklist.id, id) });
      const exact = await findBlocklistMatch(deps.db, { sha256: entry?.sha256 ?? "", dhash: flip(base, [63]) }, 0);
      expect(exact).toMatchObject({ entry: { id }, distance: 0, exact: true });
      // A featureless hash (a flat image or a smooth gradient) is near every other one: a blocklisted
      // gradient blocks only its own file, not every gradient.
      const flat = "0000000000000003";
      await deps.db.insert(mediaBlocklist).values({
        id: `${id}-flat`,
        sha256: `${id}-flat`,
        dhash: flat,
        ...bandValues(flat),
        source_media_id: null,
        added_by: "test",
        note: "",
        created_at: new Date().toISOString(),
      });
      expect(await findBlocklistMatch(deps.db, { sha256: "none", dhash: "0000000000000000" }, 7)).toBeNull();
      expect(await findBlocklistMatch(deps.db, { sha256: `${id}-flat`, dhash: "0000000000000000" }, 0)).toMatchObject({
        entry: { id: `${id}-flat` },
        exact: true,
      });
    } finally {
      await deps.db.delete(mediaBlocklist).where(inArray(mediaBlocklist.id, [id, `${id}-flat`]));
    }
  });
});
