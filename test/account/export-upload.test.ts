import { describe, expect, it } from "vitest";
import { uploadStream } from "../../src/features/export/export.upload";

/** A stream of the given chunk sizes, each chunk filled with its own index. */
function chunks(sizes: number[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const size = sizes[i];
      if (size === undefined) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(i++ % 256));
    },
  });
}

function recorder() {
  const parts: { n: number; bytes: Uint8Array }[] = [];
  return {
    parts,
    store: {
      uploadPart: async (_key: string, _id: string, n: number, bytes: Uint8Array) => {
        parts.push({ n, bytes: bytes.slice() });
        return { partNumber: n, etag: `e${n}` };
      },
    },
  };
}

describe("uploadStream", () => {
  it("cuts the stream into equal parts across chunk boundaries, the last one short", async () => {
    const { parts, store } = recorder();
    const result = await uploadStream(store, "k", "u", chunks([3, 7, 1, 9, 4]), 8);
    expect(result.bytes).toBe(24);
    expect(result.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    expect(parts.map((p) => p.bytes.length)).toEqual([8, 8, 8]);
    const joined = new Uint8Array(parts.flatMap((p) => [...p.bytes]));
    const expected = new Uint8Array([3, 7, 1, 9, 4].flatMap((size, i) => new Array<number>(size).fill(i)));
    expect(joined).toEqual(expected);
  });

  it("uploads a short last part, and one empty part for an empty stream", async () => {
    const short = recorder();
    await uploadStream(short.store, "k", "u", chunks([10, 3]), 8);
    expect(short.parts.map((p) => p.bytes.length)).toEqual([8, 5]);
    const empty = recorder();
    await uploadStream(empty.store, "k", "u", chunks([]), 8);
    expect(empty.parts.map((p) => p.bytes.length)).toEqual([0]);
  });

  it("stops reading the stream when a part fails, and throws", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(8));
      },
    });
    const failing = { uploadPart: () => Promise.reject(new Error("R2 went away")) };
    await expect(uploadStream(failing, "k", "u", stream, 8)).rejects.toThrow("R2 went away");
    // Pulled only as far as the first part (plus what the stream queues ahead), not forever.
    expect(pulled).toBeLessThan(4);
  });
});
