import { describe, expect, inject, it } from "vitest";
import { rawRequest } from "./raw-http";

const baseUrl = inject("baseUrl");
const CAP = 65_536;
const host = new URL(baseUrl).host;

function head(lines: string[]): string {
  return `${["POST /v1/auth/signup HTTP/1.1", `Host: ${host}`, "Content-Type: application/json", "Connection: close", ...lines].join("\r\n")}\r\n\r\n`;
}

const bigJson = (size: number) => {
  const prefix = '{"username":"big_body","email":"big@example.com","password":"';
  const suffix = '"}';
  return Buffer.from(prefix + "x".repeat(size - prefix.length - suffix.length) + suffix);
};

describe("request body cap over real HTTP", () => {
  it("answers 413 problem+json for a body over the cap with a truthful Content-Length", async () => {
    const body = bigJson(CAP + 1_000);
    const res = await rawRequest(baseUrl, head([`Content-Length: ${body.length}`]), [body]);
    expect(res.status).toBe(413);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ code: "payload_too_large", status: 413 });
  });

  it("answers 413 for a chunked body over the cap that declares no length, counting the stream", async () => {
    const body = bigJson(CAP * 3);
    const chunks: string[] = [];
    for (let i = 0; i < body.length; i += 8192) {
      const part = body.subarray(i, i + 8192);
      chunks.push(`${part.length.toString(16)}\r\n${part.toString("latin1")}\r\n`);
    }
    chunks.push("0\r\n\r\n");
    const res = await rawRequest(baseUrl, head(["Transfer-Encoding: chunked"]), chunks);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: "payload_too_large" });
  });

  it("reads only the declared bytes when Content-Length understates the body: no account is made", async () => {
    const body = Buffer.from('{"username":"liar_body","email":"liar@example.com","password":"correct horse"}');
    const res = await rawRequest(baseUrl, head(["Content-Length: 20"]), [body]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: "bad_request" });
    const login = await fetch(`${baseUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "liar_body", password: "correct horse" }),
    });
    expect(login.status).toBe(401);
  });

  it("accepts a body just under the cap (the cap is not off by one)", async () => {
    const body = Buffer.from(
      JSON.stringify({ login: "x".repeat(10), password: "y".repeat(200), pad: "z".repeat(CAP - 300) }),
    );
    expect(body.length).toBeLessThanOrEqual(CAP);
    const res = await rawRequest(
      baseUrl,
      `POST /v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`,
      [body],
    );
    // Read in full and validated: the unknown field answers 422, not 413.
    expect(res.status).toBe(422);
  });
});
