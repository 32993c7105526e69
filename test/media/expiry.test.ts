import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { setClock } from "../../src/platform/clock";
import { expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { fixture, type MediaBody, put, startUpload, uploadAndComplete, waitReady } from "../helpers/media";

/**
 * Validly signed URLs past their `exp` (docs/security.md A5, G8, G12): nothing is tampered with,
 * the platform clock moves. Each test also uses the same URL just before its `exp`, so a refusal
 * can only come from the expiry check.
 */
const at = (epochSeconds: number) => setClock({ now: () => new Date(epochSeconds * 1000) });

describe("expired but validly signed URLs", () => {
  it("an upload URL answers 403 once past its exp and stores nothing; the same URL works just before", async () => {
    const user = await createUser();
    const png = fixture("png");
    const ticket = await startUpload(user, "image/png", png.length);
    const exp = Number(new URL(ticket.upload_url).searchParams.get("exp"));
    expect(new Date(exp * 1000).toISOString()).toBe(ticket.expires_at);
    try {
      at(exp + 1);
      await expectProblem(await put(ticket.upload_url, png, ticket.upload_headers), 403, "forbidden");
      expect((await env.MEDIA.list({ prefix: `media/${user.id}/` })).objects).toHaveLength(0);
      const row = await env.DB.prepare("SELECT status FROM media WHERE id = ?")
        .bind(ticket.media_id)
        .first<{ status: string }>();
      expect(row?.status).toBe("pending");
      at(exp);
      expect((await put(ticket.upload_url, png, ticket.upload_headers)).status).toBe(204);
    } finally {
      setClock(null);
    }
  });

  it("a delivery URL answers 404 once past its exp; the same URL works at its exp", async () => {
    const user = await createUser();
    const { complete } = await uploadAndComplete(user, fixture("png"), "image/png");
    const media = await waitReady(user, ((await complete.json()) as MediaBody).id);
    const url = media.urls?.small ?? "";
    const exp = Number(new URL(url).searchParams.get("exp"));
    const get = () => exports.default.fetch(new Request(url, { headers: { accept: "image/webp" } }));
    try {
      at(exp + 1);
      await expectProblem(await get(), 404, "not_found");
      at(exp);
      const res = await get();
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      // Served from R2 now, with no D1 read: the signature and its exp are the only gate.
      at(exp + 1);
      await expectProblem(await get(), 404, "not_found");
    } finally {
      setClock(null);
    }
  });
});
