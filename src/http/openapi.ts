import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError, ERROR_CODES, type ErrorCode, type FieldError } from "./errors";

interface Issue {
  code?: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

/** Turns zod issues into `errors: [{path, message}]` for a 422 problem; one entry per unknown key. */
function fieldErrors(issues: readonly Issue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === "unrecognized_keys" && issue.keys) {
      return issue.keys.map((key) => ({ path: [...base, key].join("."), message: "Unknown field" }));
    }
    return [{ path: base.join(".") || "(body)", message: issue.message }];
  });
}

/** Every feature router: request validation failures answer 422 problem+json. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError("validation_failed", "The request has invalid or unknown fields.", {
          errors: fieldErrors(result.error.issues),
        });
      }
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    suspended_until: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "`account_suspended` only: when the suspension ends; null = until lifted" }),
    reason: z.string().nullable().optional().openapi({ description: "`account_suspended` only: why" }),
  })
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

/** Declares the problem responses a route can give, for the OpenAPI document. */
export function problems(...codes: ErrorCode[]) {
  const out: Record<number, { description: string; content: typeof problemContent }> = {};
  for (const code of codes) {
    const { status, title } = ERROR_CODES[code];
    const prev = out[status];
    out[status] = { description: prev ? `${prev.description}; ${title}` : title, content: problemContent };
  }
  return out;
}

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** `security` for routes that need a bearer token. */
export const bearerAuth = [{ bearerAuth: [] }];

/**
 * For routes that take no body: an empty JSON object is allowed, anything in it answers 422 and
 * a non-JSON body 415, so a client's mistaken payload is never silently ignored.
 */
export const noBody = {
  required: false,
  content: { "application/json": { schema: z.strictObject({}).openapi("Empty") } },
};

/** Response headers, declared once and referenced from every response that carries them. */
const HEADER_COMPONENTS = {
  XRequestId: {
    description:
      "This request's id: the caller's `x-request-id` when it is sane, else a new ULID; also in problem bodies",
    schema: { type: "string" },
  },
  RetryAfter: { description: "Seconds to wait before trying again", schema: { type: "string" } },
  WwwAuthenticate: { description: 'Always `Bearer realm="edgegram"`', schema: { type: "string" } },
  IdempotentReplayed: {
    description: "`true` when this answer replays an earlier request with the same key; absent otherwise",
    schema: { type: "string", enum: ["true"] },
  },
  ETag: {
    description: "Strong validator of this rendition; send it back in `If-None-Match`",
    schema: { type: "string" },
  },
  CacheControl: {
    description: "`private, max-age=31536000, immutable`: the bytes under one URL never change",
    schema: { type: "string" },
  },
  Vary: { description: "`Accept`: the format follows the Accept header", schema: { type: "string" } },
  XD1Bookmark: {
    description:
      "The request's D1 session, as an opaque token (read replication, docs/replication.md): send it back unchanged in `x-d1-bookmark` on the next request, so it reads at least what this one read or wrote. Present whenever the request touched the database (image delivery aside) or brought a valid token",
    schema: { type: "string" },
  },
} as const;

/** Request parameters every operation accepts, declared once. */
const PARAMETER_COMPONENTS = {
  XD1Bookmark: {
    in: "header",
    name: "x-d1-bookmark",
    required: false,
    description:
      "The latest `x-d1-bookmark` this client was answered, unchanged: a read then may be served by a nearby replica, at least as new as what the client last read or wrote and at most 30 s behind the primary. Without one, with one over 30 s old, or with a malformed or forged one (ignored, never refused), the request starts at the primary (docs/replication.md)",
    schema: { type: "string" },
  },
} as const;

const headerRef = (name: keyof typeof HEADER_COMPONENTS) => ({ $ref: `#/components/headers/${name}` });

/** The headers a route declares on its own responses (image delivery, idempotent creates). */
export const responseHeaders = {
  idempotentReplayed: { "idempotent-replayed": headerRef("IdempotentReplayed") },
  image: { etag: headerRef("ETag"), "cache-control": headerRef("CacheControl"), vary: headerRef("Vary") },
};

type Json = Record<string, unknown>;
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Json;
}

interface Operation extends Json {
  operationId?: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { content?: Record<string, unknown> };
  security?: Record<string, unknown>[];
  responses: Record<string, Json>;
}

/**
 * An operation extension marking a route an account whose deletion is pending may use
 * (`requireAuthPendingDeletionAllowed`): its document does not list 403 `account_pending_deletion`.
 */
export const PENDING_DELETION_ALLOWED = "x-pending-deletion-allowed";

const PROBLEM_JSON = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

const METHODS = ["get", "put", "post", "delete", "patch", "options", "head"] as const;

const CONSTRAINTS = ["maxLength", "minLength", "pattern", "enum", "const", "format", "minimum", "maximum"];

/** Whether the validation hook can refuse this parameter (422): it is required or constrained. */
function canFail(param: Parameter | { $ref: string }): boolean {
  // The shared parameters (PARAMETER_COMPONENTS) are optional and unconstrained.
  if ("$ref" in param) return false;
  if (param.required && param.in !== "path") return true;
  const schema = param.schema ?? {};
  return (schema.type !== undefined && schema.type !== "string") || CONSTRAINTS.some((k) => k in schema);
}

/**
 * Answers every operation of a given shape can give, whatever its route declares: they come from
 * the global middleware and the validation hook, not from the handler, so they are added here in
 * one place and a new route cannot forget them (README, "HTTP conventions").
 */
function sharedCodes(path: string, op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = [];
  const json = op.requestBody?.content?.["application/json"] !== undefined;
  // The body cap (src/http/middleware/request.ts) covers every /v1 request that has a body.
  if (op.requestBody && path.startsWith("/v1/")) codes.push("payload_too_large");
  // Malformed JSON (400), another content type (415), a field the schema refuses (422).
  if (json) codes.push("bad_request", "unsupported_media_type", "validation_failed");
  if ((op.parameters ?? []).some(canFail)) codes.push("validation_failed");
  // A token that fails verification answers 401 on a route where it is optional, too; a valid
  // token of an account whose deletion is pending answers 403 (docs/accounts.md), except on the
  // routes marked as serving it.
  if ((op.security ?? []).some((s) => "bearerAuth" in s)) {
    codes.push("unauthorized");
    if (op[PENDING_DELETION_ALLOWED] !== true) codes.push("account_pending_deletion");
  }
  codes.push("internal_error");
  return codes;
}

/** `POST /v1/users/{username}/follow` → `postUsersByUsernameFollow`: stable, unique per method and path. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s !== "" && s !== "v1")
    .flatMap((s) => (s.startsWith("{") ? ["by", s.slice(1, -1)] : s.split(/[-_]/)));
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
}

/**
 * Completes the generated document: the shared problem answers above on every operation (merged
 * into a route's own answer with the same status), `x-request-id` and `x-d1-bookmark` on every
 * response and `x-d1-bookmark` as an accepted request header of every operation,
 * `retry-after` and `www-authenticate` where they are sent, an `operationId` on every operation,
 * and a server entry. The input is not changed.
 */
export function completeDocument<D extends object>(generated: D): D {
  const doc = structuredClone(generated) as D & {
    servers?: unknown[];
    paths?: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
    components?: Json & { headers?: Json; responses?: Json };
  };
  doc.servers = [{ url: "/", description: "The origin that served this document" }];
  doc.components = {
    ...doc.components,
    headers: { ...doc.components?.headers, ...HEADER_COMPONENTS },
    parameters: { ...(doc.components?.parameters as Json | undefined), ...PARAMETER_COMPONENTS },
  };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      op.operationId ??= operationIdFor(method, path);
      op.parameters = [...(op.parameters ?? []), { $ref: "#/components/parameters/XD1Bookmark" }];
      for (const code of sharedCodes(path, op)) {
        const { status, title } = ERROR_CODES[code];
        const own = op.responses[status];
        if (!own) op.responses[status] = { description: title, content: PROBLEM_JSON };
        else if (typeof own.description === "string" && !own.description.includes(title)) {
          own.description = `${own.description}; ${title}`;
        }
      }
      for (const [status, response] of Object.entries(op.responses)) {
        const headers: Json = {
          ...(response.headers as Json | undefined),
          "x-request-id": headerRef("XRequestId"),
          "x-d1-bookmark": headerRef("XD1Bookmark"),
        };
        if (status === "429" || status === "503") headers["retry-after"] = headerRef("RetryAfter");
        if (status === "401") headers["www-authenticate"] = headerRef("WwwAuthenticate");
        response.headers = headers;
      }
    }
  }
  return doc;
}

/** The responses of a WebSocket upgrade route; its frames are described in `x-websocket`. */
export const websocketUpgrade = {
  101: { description: "Switching Protocols: the WebSocket is open; its JSON frames are in `x-websocket`" },
  ...problems("unauthorized", "forbidden", "not_found", "validation_failed", "upgrade_required", "rate_limited"),
};

/** A WebSocket frame schema registered as a component, for `x-websocket`. */
export const frameRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
