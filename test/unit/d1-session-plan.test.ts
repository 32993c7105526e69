import { describe, expect, it } from "vitest";
import { planSession, REPLICA_MAX_STALENESS_MS } from "../../src/http/middleware/d1-session";

/*
 * Where each request's D1 session starts (docs/replication.md, "Which requests start where"),
 * case by case: the pure rule the d1Session middleware applies. The workers tests drive the same
 * rule through the Worker (test/platform/replication.test.ts).
 */

const now = 1_800_000_000_000;
const bookmark = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";
const fresh = { bookmark, freshAt: now - 1_000 };
const plan = (method: string, path: string, token: typeof fresh | null = fresh, upgrade?: string) =>
  planSession({ method, path, token, upgrade, now });

describe("planSession", () => {
  it("starts every write at the primary, whatever the token, fresh-at now", () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      expect(plan(method, "/v1/posts")).toEqual({ start: "first-primary", freshAt: now });
    }
  });

  it("starts a read at the token's bookmark while the token is within the bound, keeping its time", () => {
    for (const method of ["GET", "HEAD"]) {
      expect(plan(method, "/v1/feed")).toEqual({ start: { bookmark }, freshAt: fresh.freshAt });
    }
    const edge = { bookmark, freshAt: now - REPLICA_MAX_STALENESS_MS };
    expect(plan("GET", "/v1/feed", edge).start).toEqual({ bookmark });
  });

  it("starts a read at the primary without a token or past the bound", () => {
    expect(plan("GET", "/v1/feed", null)).toEqual({ start: "first-primary", freshAt: now });
    const old = { bookmark, freshAt: now - REPLICA_MAX_STALENESS_MS - 1 };
    expect(plan("GET", "/v1/feed", old)).toEqual({ start: "first-primary", freshAt: now });
  });

  it("starts the reads that cannot tolerate a replica, and socket upgrades, at the primary", () => {
    for (const path of [
      "/v1/me/sessions",
      "/v1/me/export",
      "/exports/01ARZ3NDEKTSV4RRFFQ69G5FAV",
      "/v1/admin",
      "/v1/admin/reports",
      "/dev/mailbox",
    ]) {
      expect(plan("GET", path).start, path).toBe("first-primary");
    }
    expect(plan("GET", "/v1/realtime", fresh, "WebSocket").start).toBe("first-primary");
    // Lookalikes are ordinary reads.
    for (const path of ["/v1/me/sessionsx", "/v1/me/exports", "/v1/administrators"]) {
      expect(plan("GET", path).start, path).toEqual({ bookmark });
    }
  });

  it("lets image delivery read any replica, with no token to answer", () => {
    expect(plan("GET", "/media/a/b/small", null)).toEqual({ start: "first-unconstrained", freshAt: null });
  });
});
