import { beforeAll, describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers/api";
import { TOKEN_CASES } from "../helpers/auth-matrix";
import { operations, sample } from "../helpers/openapi";

/**
 * The auth matrix, generated from the document's security flags: every operation marked
 * `bearerAuth` refuses each forged, expired or malformed credential with 401 problem+json and
 * `WWW-Authenticate: Bearer` (docs/security.md, row A1), before it validates or reads anything. A
 * route that takes no token at all (security `[{}, bearerAuth]`) still refuses a bad one; only
 * "no Authorization header" is allowed there. Staff routes (tag `admin`) answer 404 `not_found`
 * instead, the same as a path no route serves, so they do not show they exist (docs/security.md E1).
 * A new protected route is covered without a test.
 */

const protectedOps = operations.filter(({ op }) => (op.security ?? []).some((s) => "bearerAuth" in s));
const headers = new Map<string, string | undefined>();

beforeAll(async () => {
  // Built once: several cases sign up an account, which is slow (PBKDF2) and needed only once.
  for (const [label, header] of TOKEN_CASES) headers.set(label, await header());
});

describe("every bearerAuth operation refuses every bad credential", () => {
  it("covers the protected operations", () => {
    expect(protectedOps.length).toBeGreaterThan(50);
  });

  it.each(protectedOps)("$name", async ({ method, path, op }) => {
    const anonymousAllowed = (op.security ?? []).some((s) => Object.keys(s).length === 0);
    // Staff routes do not announce themselves: every bad credential gets an unknown path's 404
    // (docs/moderation.md, "Roles"); test/moderation/suspension.test.ts checks the body matches.
    const staffOnly = (op.tags ?? []).includes("admin");
    const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      name === "username" ? "anyone" : name === "type" ? "post" : "01JAAAAAAAAAAAAAAAAAAAAAAA",
    );
    const schema = op.requestBody?.content?.["application/json"]?.schema;
    for (const [label] of TOKEN_CASES) {
      const authorization = headers.get(label);
      if (authorization === undefined && anonymousAllowed) continue;
      const res = await api(method.toUpperCase(), url, {
        body: schema ? sample(schema) : undefined,
        headers: authorization === undefined ? {} : { authorization },
      });
      if (staffOnly) {
        expect(res.status, label).toBe(404);
        await expectProblem(res, 404, "not_found");
        continue;
      }
      expect(res.status, label).toBe(401);
      await expectProblem(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate"), label).toMatch(/^Bearer/);
    }
  });
});
