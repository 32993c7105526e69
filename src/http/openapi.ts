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
