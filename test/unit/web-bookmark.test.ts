import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/*
 * The web client's D1 bookmark (web/src/api/bookmark.ts, docs/replication.md): it keeps the newest
 * bookmark it is answered, shared by tabs through localStorage, and sends it on each request.
 */

const OLD = "00000001-00000002-00000003-0123456789abcdef0123456789abcdef";
const NEW = "00000001-00000002-00000009-0123456789abcdef0123456789abcdef";

const answer = (bookmark?: string) => new Response(null, { headers: bookmark ? { "x-d1-bookmark": bookmark } : {} });

async function freshModule() {
  vi.resetModules();
  return await import("../../web/src/api/bookmark");
}

describe("the web client's bookmark", () => {
  let store: Map<string, string>;
  beforeEach(() => {
    store = new Map();
    vi.stubGlobal("localStorage", {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("sends nothing before the first answer, then the newest bookmark it was answered", async () => {
    const { noteBookmark, sendBookmark } = await freshModule();
    const none = new Headers();
    sendBookmark(none);
    expect(none.has("x-d1-bookmark")).toBe(false);
    noteBookmark(answer(NEW));
    noteBookmark(answer(OLD)); // an older answer arriving late does not move it back
    noteBookmark(answer()); // an answer without one changes nothing
    const headers = new Headers();
    sendBookmark(headers);
    expect(headers.get("x-d1-bookmark")).toBe(NEW);
  });

  it("is shared by tabs: a bookmark another tab stored is sent when it is newer", async () => {
    const { noteBookmark, latestBookmark } = await freshModule();
    noteBookmark(answer(OLD));
    store.set("edgegram.d1_bookmark", NEW); // written by another tab
    expect(latestBookmark()).toBe(NEW);
  });

  it("keeps it per tab, in memory, when storage is refused", async () => {
    vi.stubGlobal("localStorage", {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("SecurityError");
      },
    });
    const { noteBookmark, latestBookmark } = await freshModule();
    noteBookmark(answer(OLD));
    expect(latestBookmark()).toBe(OLD);
  });
});
