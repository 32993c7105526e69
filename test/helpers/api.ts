import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../../src/index";

export interface ApiOptions {
  body?: unknown;
  rawBody?: BodyInit;
  token?: string;
  headers?: Record<string, string>;
  /** Simulated client address (`cf-connecting-ip`); a fresh one per call unless given. */
  ip?: string;
}

let addressCounter = 0;
/** A distinct client address, so per-address rate limits do not couple unrelated tests. */
export function freshIp(): string {
  addressCounter++;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

/** Sends one request into the Worker's own fetch handler, as the edge would. */
export async function api(method: string, path: string, options: ApiOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", options.ip ?? freshIp());
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(new Request(`http://localhost${path}`, { method, headers, body }));
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an RFC 9457 problem response with the given status and code, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as ProblemBody;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  expect(body.request_id.length).toBeGreaterThan(0);
  return body;
}

/**
 * The Rate Limiting binding counts in fixed windows aligned to the wall clock (locally, and on
 * Cloudflare too), so a run of attempts that straddles a window edge is counted in two windows and
 * a limit test passes or fails with the time of day. A test that needs its attempts counted in one
 * window calls this first: when fewer than `needMs` remain of the current window it waits for the
 * next one to begin.
 */
export async function startInOneWindow(periodSeconds: number, needMs: number): Promise<void> {
  const periodMs = periodSeconds * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Test options for a test that calls `startInOneWindow`: room for a whole 60 s wait. */
export const WAITS_FOR_A_WINDOW = { timeout: 75_000 };

/**
 * Sends one request as `user` to the same Worker with some bindings or settings replaced (left
 * unconfigured, say), as another deployment of it would answer.
 */
export async function apiWithEnv(
  overrides: Record<string, string>,
  method: string,
  path: string,
  user: { accessToken: string },
  body?: unknown,
): Promise<Response> {
  return await worker.fetch(
    new Request(`http://localhost${path}`, {
      method,
      headers: {
        authorization: `Bearer ${user.accessToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, ...overrides } as Env,
    createExecutionContext(),
  );
}
