import { describe, expect, inject, it } from "vitest";
import { rawRequest } from "./raw-http";

const baseUrl = inject("baseUrl");
const { host } = new URL(baseUrl);
const send = (requestLine: string) =>
  rawRequest(baseUrl, `${requestLine}\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

describe("methods over the wire (docs/security.md E2)", () => {
  it("answers TRACE with a 501 problem and a method a path does not serve with 405 and allow", async () => {
    const trace = await send("TRACE /v1/me HTTP/1.1");
    expect(trace.status).toBe(501);
    expect(trace.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(trace.body)).toMatchObject({ code: "not_implemented", status: 501 });

    const propfind = await send("PROPFIND /v1/me HTTP/1.1");
    expect(JSON.parse(propfind.body)).toMatchObject({ code: "not_implemented", status: 501 });

    const del = await send("DELETE /livez HTTP/1.1");
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("GET, HEAD");
    expect(JSON.parse(del.body)).toMatchObject({ code: "method_not_allowed", status: 405 });
  });

  it("leaves methods workerd's HTTP parser does not know to workerd: 501 before the Worker runs", async () => {
    const res = await send("FOO /v1/me HTTP/1.1");
    expect(res.status).toBe(501);
    // Not this Worker's answer: no request id, no problem body.
    expect(res.headers["x-request-id"]).toBeUndefined();
  });

  it("CONNECT never reaches fetch(): under wrangler dev the platform answers 500 itself", async () => {
    // workerd hands CONNECT to a connect() handler, and under wrangler dev that is Miniflare's entry
    // Worker's, which has none: the 500 comes from the platform (exporting connect() from this
    // Worker changes nothing locally). What Cloudflare's edge answers is a staging check (E2).
    const res = await send("CONNECT /v1/me HTTP/1.1");
    expect(res.headers["x-request-id"]).toBeUndefined();
    expect(res.status).toBe(500);
  });
});
