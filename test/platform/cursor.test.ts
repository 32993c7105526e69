import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/http/cursor";
import { ApiError } from "../../src/http/errors";
import { base64UrlDecode, base64UrlEncode } from "../../src/platform/crypto";

const secret = "cursor-test-secret-0123456789abcdefghijkl";

async function expectInvalid(promise: Promise<unknown>) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe("invalid_cursor");
  expect((err as ApiError).status).toBe(400);
}

describe("keyset cursors", () => {
  it("round-trips the position for the same list", async () => {
    const cursor = await encodeCursor(secret, "followers:U1", ["01JABC", 42]);
    expect(await decodeCursor(secret, "followers:U1", cursor)).toEqual(["01JABC", 42]);
  });

  it("is refused on another list", async () => {
    const cursor = await encodeCursor(secret, "followers:U1", ["01JABC"]);
    await expectInvalid(decodeCursor(secret, "followers:U2", cursor));
  });

  it("is refused when its payload is edited and re-encoded", async () => {
    const cursor = await encodeCursor(secret, "feed:U1", ["01JABC"]);
    const [payload, mac] = cursor.split(".");
    const decoded = JSON.parse(new TextDecoder().decode(base64UrlDecode(payload ?? "") ?? new Uint8Array()));
    decoded.v = ["00000000000000000000000000"];
    const forged = `${base64UrlEncode(new TextEncoder().encode(JSON.stringify(decoded)))}.${mac}`;
    await expectInvalid(decodeCursor(secret, "feed:U1", forged));
  });

  it.each(["", "garbage", "a.b.c", "!!!.###", `${"a".repeat(2000)}.b`])("refuses %j", async (text) => {
    await expectInvalid(decodeCursor(secret, "feed:U1", text));
  });

  it("is refused under another secret", async () => {
    const cursor = await encodeCursor(secret, "feed:U1", ["x"]);
    await expectInvalid(decodeCursor(`${secret}-rotated`, "feed:U1", cursor));
  });
});
