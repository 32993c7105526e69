import { describe, expect, inject, it } from "vitest";

const baseUrl = inject("baseUrl");

describe("validation messages from the bundled Worker", () => {
  it("are zod's English ones: the bundle's zod keeps English as its only locale", async () => {
    const res = await fetch(`${baseUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: 5, password: "correct horse" }),
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors).toEqual([{ path: "login", message: "Invalid input: expected string, received number" }]);
  });
});
