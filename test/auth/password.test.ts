import { describe, expect, it, vi } from "vitest";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MAX_PBKDF2_ITERATIONS,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "../../src/features/auth/password";
import { base64UrlEncode, hmacSha256 } from "../../src/platform/crypto";

const pepper = "unit-test-pepper-0123456789abcdefghijkl";

describe("password hashing", () => {
  it("pins PBKDF2 at the production Workers cap of 100,000 iterations", () => {
    expect(PBKDF2_ITERATIONS).toBe(100_000);
    expect(MAX_PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
  });

  it("verifies the right password and rejects a wrong one or another pepper", async () => {
    const stored = await hashPassword("correct horse", pepper);
    expect(await verifyPassword("correct horse", stored, pepper)).toBe(true);
    expect(await verifyPassword("correct horsE", stored, pepper)).toBe(false);
    expect(await verifyPassword("correct horse", stored, `${pepper}x`)).toBe(false);
  });

  it("salts: one password hashes differently each time", async () => {
    expect(await hashPassword("same", pepper)).not.toBe(await hashPassword("same", pepper));
  });

  it("keeps verifying hashes made at a lower cost (self-describing format)", async () => {
    const cheap = await hashPassword("old password", pepper, 1_000);
    expect(cheap.startsWith("pbkdf2-sha256$1000$")).toBe(true);
    expect(await verifyPassword("old password", cheap, pepper)).toBe(true);
  });

  it("refuses to hash above the cap", async () => {
    await expect(hashPassword("x", pepper, 600_000)).rejects.toThrow(RangeError);
  });

  // A stored hash in exactly the format hashPassword writes, and the right one for the password
  // at its iteration count (local workerd derives above the cap; production would throw). Only the
  // cap can refuse it: without the check it would derive, match and answer true.
  async function rightHashAt(password: string, iterations: number): Promise<string> {
    const salt = new Uint8Array(16).fill(7);
    const peppered = await hmacSha256(pepper, new TextEncoder().encode(password.normalize("NFKC")));
    const key = await crypto.subtle.importKey("raw", peppered, "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
    return `pbkdf2-sha256$${iterations}$${base64UrlEncode(salt)}$${base64UrlEncode(new Uint8Array(bits))}`;
  }

  it("refuses a well-formed stored hash above the cap without deriving, though it is the right hash", async () => {
    const over = [await rightHashAt("x", MAX_PBKDF2_ITERATIONS + 1), await rightHashAt("x", 600_000)];
    const atCap = await rightHashAt("x", MAX_PBKDF2_ITERATIONS);
    for (const stored of [...over, atCap]) expect(stored).toMatch(/^pbkdf2-sha256\$\d+\$[\w-]{22}\$[\w-]{43}$/);
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    try {
      for (const stored of over) expect(await verifyPassword("x", stored, pepper), stored).toBe(false);
      expect(deriveBits).not.toHaveBeenCalled();
      // The same construction at the cap derives once and matches: the refusals above are the cap's.
      expect(await verifyPassword("x", atCap, pepper)).toBe(true);
      expect(deriveBits).toHaveBeenCalledTimes(1);
    } finally {
      deriveBits.mockRestore();
    }
  });

  it.each([
    ["another scheme", "bcrypt$10$abc"],
    ["too few parts", "pbkdf2-sha256$100000$abc"],
    ["too many parts", "pbkdf2-sha256$100000$a$b$c"],
    ["a non-numeric cost", "pbkdf2-sha256$1e5$AAAA$AAAA"],
    ["a short hash", "pbkdf2-sha256$1000$AAAA$AAAA"],
    ["an empty string", ""],
  ])("rejects %s", async (_label, stored) => {
    expect(await verifyPassword("x", stored, pepper)).toBe(false);
  });

  it("has a well-formed dummy hash that really derives (same cost as a real check) and never matches", async () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(/^pbkdf2-sha256\$100000\$[A]{22}\$[A]{43}$/);
    expect(await verifyPassword("", DUMMY_PASSWORD_HASH, pepper)).toBe(false);
  });
});
