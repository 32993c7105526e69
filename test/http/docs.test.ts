import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, inject, it } from "vitest";

const baseUrl = inject("baseUrl");

describe("documentation over real HTTP", () => {
  it("serves a valid OpenAPI 3.1 document", async () => {
    const res = await fetch(`${baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Parameters<Validator["validate"]>[0];
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("serves /docs and its scripts from this server only", async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(scripts).toEqual(["/vendor/scalar/standalone.js", "/docs.js"]);
    for (const src of scripts) {
      const res = await fetch(`${baseUrl}${src}`);
      expect(res.status, src).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/javascript/);
    }
  });
});
