import { describe, expect, it } from "vitest";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MAX_PBKDF2_ITERATIONS,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "../../src/features/auth/password";

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

  it("rejects a crafted stored hash claiming more iterations, without deriving", async () => {
    const started = Date.now();
    expect(await verifyPassword("x", "pbkdf2-sha256$9999999$AAAAAAAAAAAAAAAAAAAAAA$AAAA", pepper)).toBe(false);
    expect(await verifyPassword("x", "pbkdf2-sha256$100001$AAAAAAAAAAAAAAAAAAAAAA$AAAA", pepper)).toBe(false);
    expect(Date.now() - started).toBeLessThan(50);
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
