import { env } from "cloudflare:workers";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { startConversation } from "../helpers/chat";
import { createUser, type TestUser } from "../helpers/factories";
import { DOC_ID, doc, type Json, type Operation, operations, type Parameter, sample } from "../helpers/openapi";
import { publish, readyMedia } from "../helpers/posts";

/**
 * Contract conformance, generated from the served OpenAPI document: for every operation it sends
 * requests built from the document alone (plausible and broken parameters and bodies, no token, a
 * bad token, a good one) and checks each answer against the same document. A new route is covered
 * without anyone writing a test for it (docs/security.md, "contract").
 */

// OpenAPI 3.1 schemas are JSON Schema 2020-12; `example` is an annotation Ajv need not know.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(doc, DOC_ID);
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
const validators = new Map<string, ValidateFunction>();
function validatorAt(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.getSchema(`${DOC_ID}#/${ref}`);
    if (!validate) throw new Error(`no schema at ${ref}`);
    validators.set(ref, validate);
  }
  return validate;
}

interface Attempt {
  label: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  token?: "good" | "bad" | "none";
}

let reader: TestUser;
let owner: TestUser;
const MISSING_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA";
/** Real ids by the path's first segment after /v1, so reads can succeed and bodies get checked. */
const seeded = new Map<string, string>();
let validatedSuccesses = 0;

function pathWith(path: string, value: (name: string) => string): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(value(name)));
}

function plausiblePath(path: string): string {
  const resource = path.split("/")[2] ?? "";
  return pathWith(path, (name) =>
    name === "username" ? owner.username : name === "size" ? "small" : (seeded.get(resource) ?? MISSING_ID),
  );
}

function queryOf(op: Operation, value: (p: Parameter) => string | undefined): string {
  const params = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in !== "query") continue;
    const v = value(p);
    if (v !== undefined) params.set(p.name, v);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function attemptsFor(path: string, op: Operation): Attempt[] {
  const valid = plausiblePath(path);
  const plausibleQuery = queryOf(op, (p) => (p.required ? String(sample(p.schema)) : undefined));
  const headers: Record<string, string> = {};
  for (const p of op.parameters ?? []) if (p.in === "header") headers[p.name] = `k-${crypto.randomUUID()}`;
  const jsonSchema = op.requestBody?.content?.["application/json"]?.schema;
  const octets = op.requestBody?.content?.["application/octet-stream"] !== undefined;
  const json = (value: unknown) => JSON.stringify(value);
  const goodBody = jsonSchema ? json(sample(jsonSchema)) : octets ? "bytes" : undefined;
  const base = { path: valid, query: plausibleQuery, headers, body: goodBody };
  const attempts: Attempt[] = [
    { label: "plausible, good token", ...base, token: "good" },
    { label: "plausible, no token", ...base, token: "none" },
    { label: "plausible, bad token", ...base, token: "bad" },
  ];
  if (/\{/.test(path)) {
    attempts.push({
      label: "over-long path parameters",
      ...base,
      path: pathWith(path, () => "x".repeat(300)),
      token: "good",
    });
    attempts.push({ label: "odd path parameters", ...base, path: pathWith(path, () => "%00'\"<>"), token: "good" });
  }
  if ((op.parameters ?? []).some((p) => p.in === "query")) {
    const wrong = queryOf(op, (p) => (p.schema?.type === "integer" ? "NaN" : "z".repeat(2000)));
    attempts.push({ label: "wrong-typed query", ...base, query: wrong, token: "good" });
    attempts.push({ label: "no query", ...base, query: "", token: "good" });
  }
  attempts.push({
    label: "unknown query parameter",
    ...base,
    query: `${plausibleQuery || "?"}&zz_unknown=1`,
    token: "good",
  });
  if (jsonSchema) {
    const good = sample(jsonSchema);
    const object = typeof good === "object" && good !== null ? (good as Json) : {};
    attempts.push(
      { label: "malformed JSON", ...base, body: "{", token: "good" },
      {
        label: "non-JSON content type",
        ...base,
        body: "a=1",
        headers: { ...headers, "content-type": "text/plain" },
        token: "good",
      },
      { label: "unknown field", ...base, body: json({ ...object, zz_unknown: 1 }), token: "good" },
      {
        label: "wrong types",
        ...base,
        body: json(Object.fromEntries(Object.keys(object).map((k) => [k, { x: [1] }]))),
        token: "good",
      },
      { label: "an array", ...base, body: "[]", token: "good" },
      {
        label: "over the body cap",
        ...base,
        body: json({ pad: "x".repeat(Number(env.MAX_JSON_BODY_BYTES)) }),
        token: "good",
      },
    );
  }
  return attempts;
}

/** Cheap fingerprint of the stored state a refused request must not change. */
async function snapshot(): Promise<unknown> {
  const tables = [
    "users",
    "refresh_tokens",
    "follows",
    "follow_requests",
    "close_friends",
    "blocks",
    "mutes",
    "media",
    "posts",
    "likes",
    "comments",
    "saves",
    "conversations",
    "conversation_members",
    "stories",
    "story_views",
    "highlights",
    "realtime_tickets",
    "push_subscriptions",
  ];
  const counts = tables.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ");
  return env.DB.prepare(
    `SELECT ${counts}, (SELECT group_concat(display_name || bio || is_private) FROM users) AS profiles`,
  ).first();
}

async function send(method: string, op: Operation, attempt: Attempt): Promise<Response> {
  const headers: Record<string, string> = { ...attempt.headers };
  if (attempt.body !== undefined && !headers["content-type"]) {
    headers["content-type"] = op.requestBody?.content?.["application/octet-stream"]
      ? "application/octet-stream"
      : "application/json";
  }
  if (attempt.token === "good") headers.authorization = `Bearer ${reader.accessToken}`;
  if (attempt.token === "bad") headers.authorization = "Bearer a.b.c";
  return api(method.toUpperCase(), `${attempt.path}${attempt.query ?? ""}`, { headers, rawBody: attempt.body });
}

beforeAll(async () => {
  [reader, owner] = await Promise.all([createUser(), createUser()]);
  // A small world: the reader's own media and story, the owner's post, and a chat between them.
  seeded.set("media", await readyMedia(reader));
  seeded.set("posts", (await publish(owner, { caption: "contract #seed" })).id);
  seeded.set("conversations", (await startConversation(reader, [owner])).id);
  const story = await api("POST", "/v1/stories", {
    token: reader.accessToken,
    body: { media_id: await readyMedia(reader) },
  });
  expect(story.status, await story.clone().text()).toBe(201);
  seeded.set("stories", ((await story.json()) as { id: string }).id);
});

describe("every answer matches the OpenAPI document", () => {
  it("covers every operation, with validators that refuse a wrong body", () => {
    expect(operations.length).toBeGreaterThan(60);
    const me = validatorAt(
      pointer("paths", "/v1/me", "get", "responses", "200", "content", "application/json", "schema"),
    );
    expect(me({})).toBe(false);
    const problem = validatorAt(
      pointer("paths", "/v1/me", "get", "responses", "401", "content", "application/problem+json", "schema"),
    );
    expect(problem({ type: "t", title: "t", status: 401, detail: "d", code: "no_such_code", request_id: "r" })).toBe(
      false,
    );
  });

  it.each(operations)("$name", async ({ method, path, op }) => {
    const failures: string[] = [];
    for (const attempt of attemptsFor(path, op)) {
      const write = method !== "get";
      const before = write ? await snapshot() : undefined;
      const res = await send(method, op, attempt);
      const status = String(res.status);
      const where = `${attempt.label} → ${status}`;
      const text = await res.text();
      if (res.status >= 500) failures.push(`${where}: server error ${text}`);
      const documented = op.responses[status];
      if (!documented) {
        failures.push(`${where}: status not documented (${text.slice(0, 200)})`);
        continue;
      }
      if (!res.headers.get("x-request-id")) failures.push(`${where}: no x-request-id`);
      const type = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
      if (res.status >= 400 && type !== "application/problem+json") failures.push(`${where}: error is ${type}`);
      if (res.status === 401 && !res.headers.get("www-authenticate")) failures.push(`${where}: no www-authenticate`);
      const media = documented.content?.[type];
      if (documented.content && Object.keys(documented.content).length > 0 && !media) {
        failures.push(`${where}: content type ${type} not documented`);
      } else if (media?.schema && text.length > 0) {
        const validate = validatorAt(pointer("paths", path, method, "responses", status, "content", type, "schema"));
        if (!validate(JSON.parse(text))) failures.push(`${where}: body ${ajv.errorsText(validate.errors)}`);
        else if (res.status < 300) validatedSuccesses++;
      }
      if (write && res.status >= 400) {
        const after = await snapshot();
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          failures.push(`${where}: a refused request changed stored state`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("checked success bodies too, not only refusals", () => {
    expect(validatedSuccesses).toBeGreaterThan(60);
  });
});
