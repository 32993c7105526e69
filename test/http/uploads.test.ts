import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { rawRequest } from "./raw-http";

const baseUrl = inject("baseUrl");
let token = "";

async function json(path: string, body: unknown, auth = true) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
      ...(auth ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function ticket(byteSize: number): Promise<URL> {
  const res = await json("/v1/media", { content_type: "image/png", byte_size: byteSize });
  expect(res.status).toBe(201);
  return new URL(res.body.upload_url ?? "");
}

function putHead(url: URL, headers: string[]): string {
  return `${[`PUT ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Content-Type: image/png", "Connection: close", ...headers].join("\r\n")}\r\n\r\n`;
}

beforeAll(async () => {
  const name = `uploader_${Date.now().toString(36)}`;
  const res = await json(
    "/v1/auth/signup",
    { username: name, email: `${name}@example.com`, password: "correct horse" },
    false,
  );
  expect(res.status).toBe(202);
  // Sign-up answers 202 "check your email" without a session (README "Accounts"): sign in.
  const session = await json("/v1/auth/login", { login: name, password: "correct horse" }, false);
  expect(session.status).toBe(200);
  token = session.body.access_token ?? "";
});

describe("upload size cap over real HTTP", () => {
  it("stores a body of exactly the declared size (control)", async () => {
    const url = await ticket(50_000);
    const res = await rawRequest(baseUrl, putHead(url, ["Content-Length: 50000"]), [randomBytes(50_000)]);
    expect(res.status).toBe(204);
  });

  it("answers 413 when Content-Length and the body exceed the declared size", async () => {
    const url = await ticket(50_000);
    const body = randomBytes(400_000);
    const res = await rawRequest(baseUrl, putHead(url, [`Content-Length: ${body.length}`]), [body]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: "payload_too_large" });
  });

  it("answers 413 for a chunked body with no length that runs past the declared size", async () => {
    const url = await ticket(50_000);
    const chunks: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      chunks.push(Buffer.concat([Buffer.from(`${(8192).toString(16)}\r\n`), randomBytes(8192), Buffer.from("\r\n")]));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    const res = await rawRequest(baseUrl, putHead(url, ["Transfer-Encoding: chunked"]), chunks);
    expect(res.status).toBe(413);
  });

  it("refuses an upload URL whose signature was tampered with (403)", async () => {
    const url = await ticket(10);
    url.searchParams.set("sig", "AAAAAAAAAAAAAAAAAAAAAA");
    const res = await rawRequest(baseUrl, putHead(url, ["Content-Length: 10"]), [randomBytes(10)]);
    expect(res.status).toBe(403);
  });
});
