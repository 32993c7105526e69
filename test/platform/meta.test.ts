import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, expectProblem } from "../helpers/api";

describe("GET /healthz", () => {
  it("answers ok after a D1 round trip, with a request id", async () => {
    const res = await api("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9A-Z]{26}$/);
  });

  it("echoes a sane incoming x-request-id and replaces an unsafe one", async () => {
    const echoed = await api("GET", "/healthz", { headers: { "x-request-id": "client-trace-12345" } });
    expect(echoed.headers.get("x-request-id")).toBe("client-trace-12345");
    const unsafe = await api("GET", "/healthz", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9A-Z]{26}$/);
  });
});

describe("errors and headers everywhere", () => {
  it("answers an unknown path with a 404 problem", async () => {
    const res = await api("GET", "/v1/nothing-here");
    const problem = await expectProblem(res, 404, "not_found");
    expect(problem.type).toBe("https://edgegram.dev/problems/not_found");
    expect(problem.title).toBe("Not found");
  });

  it("sets secure headers", async () => {
    const res = await api("GET", "/healthz");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("strict-transport-security")).toContain("max-age=");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("allows only configured origins (CORS)", async () => {
    const preflight = (origin: string) =>
      api("OPTIONS", "/v1/me", {
        headers: {
          origin,
          "access-control-request-method": "PATCH",
          "access-control-request-headers": "authorization",
        },
      });
    const allowed = await preflight("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("PATCH");
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const simple = await api("GET", "/v1/users/nobody", { headers: { origin: "https://evil.example" } });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers 500 problem+json without internals when a query fails", async () => {
    const broken = {
      ...env,
      DB: { prepare: () => ({ first: () => Promise.reject(new Error("D1_ERROR: no such table: secret_table")) }) },
    };
    const res = await createApp().fetch(new Request("http://localhost/healthz"), broken, createExecutionContext());
    const body = await expectProblem(res, 500, "internal_error");
    expect(JSON.stringify(body)).not.toContain("secret_table");
    expect(JSON.stringify(body)).not.toContain("D1_ERROR");
  });
});

describe("configuration fails closed", () => {
  it.each([
    ["a JWT key shorter than 32 characters", { JWT_KEYS: "k1:short-secret" }],
    ["no JWT keys", { JWT_KEYS: "" }],
    ["a malformed JWT key list", { JWT_KEYS: "no-colon-here-0123456789abcdefghijklmnop" }],
    ["a weak pepper", { PASSWORD_PEPPER: "pepper" }],
    ["a missing signing secret", { SIGNING_SECRET: "" }],
    ["no VAPID private key", { VAPID_PRIVATE_KEY: "" }],
    ["a VAPID public key that is not a P-256 point", { VAPID_PUBLIC_KEY: "dev-only-not-a-key" }],
  ])("answers 500 on every request and never signs with %s", async (_label, override) => {
    const app = createApp();
    const badEnv = { ...env, ...override };
    const signup = await app.fetch(
      new Request("http://localhost/v1/auth/signup", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": "192.0.2.1" },
        body: JSON.stringify({ username: "weak_cfg", email: "weak@example.com", password: "correct horse" }),
      }),
      badEnv,
      createExecutionContext(),
    );
    await expectProblem(signup, 500, "internal_error");
    const row = await env.DB.prepare("SELECT id FROM users WHERE username = 'weak_cfg'").first();
    expect(row).toBeNull();
  });
});

describe("API documentation", () => {
  it("keeps null in nullable fields that reference a named schema", async () => {
    // The generator drops null from `Named.nullable()`; such fields are written as unions.
    type Prop = { anyOf?: unknown[] };
    const doc = (await (await api("GET", "/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, Prop> }> };
    };
    const field = (schema: string, prop: string) => doc.components.schemas[schema]?.properties[prop]?.anyOf;
    for (const [schema, prop] of [
      ["Profile", "relationship"],
      ["Profile", "avatar"],
      ["Me", "avatar"],
      ["UserSummary", "avatar"],
      ["Conversation", "last_message"],
    ] as const) {
      expect(field(schema, prop), `${schema}.${prop}`).toContainEqual({ type: "null" });
    }
  });

  it("serves an OpenAPI 3.1 document listing every route", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");

    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path !== "/openapi.json" && r.path !== "/docs")
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(5);
    for (const route of served) expect(documented, `${route} is undocumented`).toContain(route);
    expect(documented.size).toBe(new Set(served).size);
  });

  it("marks protected routes with bearer security", async () => {
    const doc = (await (await api("GET", "/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.paths["/v1/me"]?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/v1/me"]?.patch?.security).toEqual([{ bearerAuth: [] }]);
  });

  it("names every operation, lists a server, and documents shared answers and headers on every operation", async () => {
    type Response = { headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> };
    type Op = { operationId?: string; requestBody?: unknown; security?: object[]; responses: Record<string, Response> };
    const doc = (await (await api("GET", "/openapi.json")).json()) as {
      servers?: { url: string }[];
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, unknown>; headers: Record<string, unknown> };
    };
    expect(doc.servers?.[0]?.url).toBe("/");
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, name).toMatch(/^[a-z][A-Za-z0-9]*$/);
        ids.add(op.operationId ?? "");
        expect(Object.keys(op.responses), name).toContain("500");
        if (op.requestBody && path.startsWith("/v1/")) expect(Object.keys(op.responses), name).toContain("413");
        if (op.security?.some((s) => "bearerAuth" in s)) expect(Object.keys(op.responses), name).toContain("401");
        for (const [status, response] of Object.entries(op.responses)) {
          expect(response.headers?.["x-request-id"], `${name} ${status}`).toBeDefined();
          if (Number(status) >= 400) {
            expect(response.content?.["application/problem+json"]?.schema, `${name} ${status}`).toEqual({
              $ref: "#/components/schemas/Problem",
            });
          }
        }
      }
    }
    expect(ids.size).toBe(Object.values(doc.paths).flatMap((item) => Object.keys(item)).length);
    expect(doc.paths["/v1/posts/{id}/likes"]?.get?.operationId).toBe("getPostsByIdLikes");
    // Only follow has a limiter among the graph's actions (docs/security.md).
    expect(doc.paths["/v1/users/{username}/follow"]?.post?.responses["429"]).toBeDefined();
    expect(doc.paths["/v1/users/{username}/block"]?.post?.responses["429"]).toBeUndefined();
    expect(doc.paths["/v1/posts"]?.post?.responses["201"]?.headers?.["idempotent-replayed"]).toBeDefined();
    const image = doc.paths["/media/{owner}/{id}/{size}"]?.get?.responses["200"]?.headers ?? {};
    expect(Object.keys(image)).toEqual(expect.arrayContaining(["etag", "cache-control", "vary"]));
    expect(doc.paths["/media/{owner}/{id}/{size}"]?.get?.responses["422"]).toBeUndefined();
    expect(doc.paths["/v1/conversations/{id}/ws"]?.get).toMatchObject({
      "x-websocket": {
        client_frames: { oneOf: [{ $ref: "#/components/schemas/ChatClientFrame" }, expect.anything()] },
        server_frames: { oneOf: [{ $ref: "#/components/schemas/ChatServerFrame" }, expect.anything()] },
      },
    });
    for (const name of ["ChatClientFrame", "ChatServerFrame", "HubEvent", "SocketPing", "SocketPong"]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
  });

  it("serves /docs with the UI script from the project's own assets", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('src="/vendor/scalar/standalone.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const script = await env.ASSETS.fetch("http://localhost/vendor/scalar/standalone.js");
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    const init = await env.ASSETS.fetch("http://localhost/docs.js");
    expect(await init.text()).toContain("/openapi.json");
  });
});
