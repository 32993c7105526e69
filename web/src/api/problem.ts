import type { components } from "./schema";

type FieldError = { path: string; message: string };

/**
 * An API answer that is not a success, as the server sent it (RFC 9457 problem+json): `code` to
 * switch on, `detail` in plain words for people, `errors` naming the fields that caused it.
 * Network failures become a problem too (status 0), so screens handle one kind of error.
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];
  readonly extensions: Record<string, unknown>;

  constructor(status: number, code: string, detail: string, errors: FieldError[] = [], extensions = {}) {
    super(detail);
    this.name = "ApiProblem";
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.extensions = extensions;
  }

  /** The message for one field (`path` as the server names it, e.g. "username" or "media.0"). */
  forField(path: string): string | undefined {
    return this.errors.find((e) => e.path === path || e.path.startsWith(`${path}.`))?.message;
  }

  static async from(response: Response, body?: unknown): Promise<ApiProblem> {
    const data = (body ?? (await response.json().catch(() => null))) as Partial<
      components["schemas"]["Problem"]
    > | null;
    if (data && typeof data === "object" && typeof data.code === "string") {
      const { code, detail, errors, status: _s, type: _t, title: _ti, request_id: _r, ...extensions } = data;
      return new ApiProblem(
        response.status,
        code,
        detail ?? data.title ?? "Something went wrong.",
        errors ?? [],
        extensions,
      );
    }
    return new ApiProblem(response.status, "http_error", `The server answered ${response.status}.`);
  }

  static network(): ApiProblem {
    return new ApiProblem(0, "network", "Could not reach Edgegram. Check your connection and try again.");
  }
}

/** The text to show for any error a screen caught. */
export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) return error.message;
  return "Something went wrong. Try again.";
}
