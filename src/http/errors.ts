import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { AccountPendingDeletionError, SessionRevokedError } from "../platform/session-guard";

/**
 * Stable machine-readable error codes (README, "HTTP conventions") and the status each one answers with.
 * Clients switch on `code`; `title` is its human label.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, title: "Bad request" },
  invalid_cursor: { status: 400, title: "Invalid cursor" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  account_suspended: { status: 403, title: "Account suspended" },
  account_pending_deletion: { status: 403, title: "Account pending deletion" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  upgrade_required: { status: 426, title: "Upgrade required" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal server error" },
  not_implemented: { status: 501, title: "Not implemented" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

/** The one error type the app throws on purpose; `onError` renders it as problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  /** Extension members of the problem (RFC 9457 §3.2), such as `suspended_until`. */
  readonly extensions?: Record<string, string | null>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, string | null>;
    } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

export const notFound = (what = "resource"): ApiError => new ApiError("not_found", `No such ${what}.`);

/**
 * A 401 about the access token itself (bad, expired, or its session ended), as opposed to one
 * about something the request carries (a wrong password). RFC 6750 §3.1's `error="invalid_token"`
 * in WWW-Authenticate tells them apart, so a client refreshes its token (and retries) only when
 * refreshing can help.
 */
export const invalidToken = (detail: string): ApiError =>
  new ApiError("unauthorized", detail, {
    headers: { "www-authenticate": 'Bearer realm="edgegram", error="invalid_token"' },
  });

/** RFC 9457 problem details body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const PROBLEM_TYPE_BASE = "https://edgegram.dev/problems/";

export function problemResponse(c: Context<AppEnv>, err: ApiError): Response {
  const body: Problem = {
    ...err.extensions,
    type: `${PROBLEM_TYPE_BASE}${err.code}`,
    title: ERROR_CODES[err.code].title,
    status: err.status,
    detail: err.message,
    code: err.code,
    request_id: c.get("requestId") ?? "",
  };
  if (err.errors) body.errors = err.errors;
  const headers = new Headers({
    "content-type": "application/problem+json; charset=utf-8",
    "cache-control": "no-store",
    "x-request-id": body.request_id,
  });
  if (err.status === 401) headers.set("www-authenticate", 'Bearer realm="edgegram"');
  for (const [name, value] of Object.entries(err.headers ?? {})) headers.set(name, value);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Hono's own exceptions (malformed JSON, …) keep their status but get our body. */
function fromHttpException(err: HTTPException): ApiError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
  };
  const code =
    byStatus[err.status] ??
    (err.status === 501 ? "not_implemented" : err.status >= 500 ? "internal_error" : "bad_request");
  return new ApiError(code, err.message || undefined);
}

/** `err` or one of its causes is a `type` (drizzle wraps what a D1 call throws in its own error). */
function causedBy(err: unknown, is: (e: Error) => boolean): boolean {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    if (is(e)) return true;
    e = e.cause;
  }
  return false;
}

/** `app.onError`: known errors become problem+json; anything else is logged and answers a bare 500. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return problemResponse(c, err);
  if (err instanceof HTTPException) return problemResponse(c, fromHttpException(err));
  if (causedBy(err, (e) => e instanceof SessionRevokedError)) {
    return problemResponse(c, invalidToken("The session has ended; sign in again."));
  }
  if (causedBy(err, (e) => e instanceof AccountPendingDeletionError)) {
    return problemResponse(
      c,
      new ApiError(
        "account_pending_deletion",
        "This account is scheduled for deletion: only GET /v1/me and POST /v1/me/restore answer until it is restored.",
      ),
    );
  }
  console.error(
    JSON.stringify({
      level: "error",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      error: err.name,
      message: err.message,
      stack: err.stack,
    }),
  );
  return problemResponse(c, new ApiError("internal_error", "Something went wrong on our side."));
}
