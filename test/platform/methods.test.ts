import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { createUser } from "../helpers/factories";

describe("methods no route serves (docs/security.md E2)", () => {
  it("answers 405 with allow for a path served with other methods, changing nothing", async () => {
    const ana = await createUser();
    const put = await api("PUT", "/v1/me", { token: ana.accessToken, body: { display_name: "Changed" } });
    const problem = await expectProblem(put, 405, "method_not_allowed");
    expect(problem.title).toBe("Method not allowed");
    expect(put.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
    expect(put.headers.get("cache-control")).toBe("no-store");
    expect(put.headers.get("x-content-type-options")).toBe("nosniff");
    const me = await api("GET", "/v1/me", { token: ana.accessToken });
    expect(((await me.json()) as { display_name: string | null }).display_name).not.toBe("Changed");

    const login = await api("GET", "/v1/auth/login");
    await expectProblem(login, 405, "method_not_allowed");
    expect(login.headers.get("allow")).toBe("POST, OPTIONS");
    const livez = await api("DELETE", "/livez");
    await expectProblem(livez, 405, "method_not_allowed");
    expect(livez.headers.get("allow")).toBe("GET, HEAD");
    const media = await api("POST", "/media/01OWNER/01MEDIA/small");
    expect(media.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 405 for a path with parameters too, and still 404 for a path nothing serves", async () => {
    const ana = await createUser();
    // Signed in: a router's own middleware (authentication here) still runs first.
    const post = await api("PUT", "/v1/posts/01ABCDEFGHJKMNPQRSTVWXYZ00", { token: ana.accessToken });
    await expectProblem(post, 405, "method_not_allowed");
    expect(post.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE, OPTIONS");
    await expectProblem(await api("PUT", "/v1/nothing-here"), 404, "not_found");
    await expectProblem(await api("DELETE", "/nothing-here"), 404, "not_found");
  });

  it.each(["PROPFIND", "COPY", "QUERY", "MKCOL"])(
    "answers 501 not_implemented for %s, a method the API serves nowhere",
    async (method) => {
      for (const path of ["/v1/me", "/livez", "/nothing-here"]) {
        const res = await api(method, path);
        const problem = await expectProblem(res, 501, "not_implemented");
        expect(problem.title).toBe("Not implemented");
        expect(problem.detail).toContain(method);
        expect(res.headers.get("allow")).toBeNull();
      }
    },
  );

  it("answers TRACE with 501; workerd will not even build a CONNECT request for the Worker", async () => {
    const trace = await exports.default.fetch(new Request("http://localhost/v1/me", { method: "TRACE" }));
    await expectProblem(trace, 501, "not_implemented");
    // Over the wire, CONNECT goes to a connect() handler, never to fetch(): test/http/methods.test.ts.
    expect(() => new Request("http://localhost/v1/me", { method: "CONNECT" })).toThrow(TypeError);
  });
});
