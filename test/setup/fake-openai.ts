/**
 * A fake OpenAI-compatible provider, run in Node behind Miniflare's `outboundService` (see
 * outbound.ts): `POST https://ai.example.test/v1/chat/completions` answers as the chat
 * completions API does (the same JSON, error bodies and `retry-after`), scripted per test case.
 *
 * A test names its case by putting `case:<id>` in the request's hint, which the Worker sends as
 * data in the user message; the fake finds it there. Control endpoints:
 *   POST /__script/<id>    [step, …]: how the next calls of that case answer, in order (the last
 *                          step repeats); default: one valid answer
 *   GET  /__requests/<id>  every request body (and authorization header) the case received
 * Steps: {kind: "ok", answer?}, {kind: "invalid"} (a caption with a URL), {kind: "not-json"},
 * {kind: "status", status, retry_after?}, {kind: "slow", ms} (then a valid answer).
 *
 * `POST /v1/moderations` answers as the moderation endpoint does (`{id, model, results: [{flagged,
 * categories, category_scores, category_applied_input_types}]}`), one result for the request. Its
 * scores come from a marker in the text inputs: `mod:hide` (harassment 0.97), `mod:flag` (violence
 * 0.62, harassment 0.55), `mod:minors` (sexual/minors 0.5, sexual 0.3), `mod:500` (500 without
 * retry-after), `mod:429` (429 with retry-after 7); anything else scores 0.01 everywhere. Its case
 * is `case:<id>` in the text too (else "default"), and a scripted `status` step answers first.
 */
import { type Request, Response } from "miniflare";

export const FAKE_AI_HOST = "ai.example.test";

type Step =
  | { kind: "ok"; answer?: unknown }
  | { kind: "invalid" }
  | { kind: "not-json" }
  | { kind: "status"; status: number; retry_after?: string }
  | { kind: "slow"; ms: number };

export interface RecordedRequest {
  authorization: string | null;
  body: Record<string, unknown>;
  /** When the fake received it (ms since the epoch). */
  at: number;
}

export const VALID_ANSWER = {
  suggestions: [
    {
      caption: "Golden hour light spills over a quiet street, the kind of evening that asks you to slow down.",
      hashtags: ["goldenhour", "Street", "#evening"],
    },
    { caption: "Golden hour.", hashtags: ["goldenhour"] },
    { caption: "Golden hour light over a quiet street.", hashtags: ["street", "sunset"] },
  ],
  alt_text: "A quiet street lit by low orange sunlight, with bicycles parked along the left side.",
};

const INVALID_ANSWER = {
  ...VALID_ANSWER,
  suggestions: [
    { caption: "See more at https://example.com today.", hashtags: ["promo"] },
    ...VALID_ANSWER.suggestions.slice(1),
  ],
};

const scripts = new Map<string, Step[]>();
const requests = new Map<string, RecordedRequest[]>();

const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });

function caseOf(body: Record<string, unknown>): string {
  const text = JSON.stringify(body.messages ?? body.input ?? []);
  return /case:([A-Za-z0-9-]+)/.exec(text)?.[1] ?? "default";
}

function completion(model: string, content: string) {
  return json({
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: `${model}-2026-01-01`,
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop", logprobs: null },
    ],
    usage: { prompt_tokens: 412, completion_tokens: 96, total_tokens: 508 },
  });
}

const error = (status: number, message: string, headers: Record<string, string> = {}) =>
  json({ error: { message, type: "invalid_request_error", param: null, code: null } }, status, headers);

/** The categories omni-moderation-latest scores. */
export const MODERATION_CATEGORIES = [
  "harassment",
  "harassment/threatening",
  "hate",
  "hate/threatening",
  "illicit",
  "illicit/violent",
  "self-harm",
  "self-harm/intent",
  "self-harm/instructions",
  "sexual",
  "sexual/minors",
  "violence",
  "violence/graphic",
] as const;

const MARKED_SCORES: Record<string, Record<string, number>> = {
  hide: { harassment: 0.97 },
  flag: { violence: 0.62, harassment: 0.55 },
  minors: { "sexual/minors": 0.5, sexual: 0.3 },
};

function moderation(body: Record<string, unknown>, id: string): Response {
  const inputs = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
  const text = inputs.map((i) => (i.type === "text" ? String(i.text) : "")).join("\n");
  const marker = /mod:([a-z0-9]+)/.exec(text)?.[1] ?? "";
  if (marker === "500") return error(500, "Fake provider answered 500");
  if (marker === "429") return error(429, "Rate limit reached", { "retry-after": "7" });
  const marked = MARKED_SCORES[marker] ?? {};
  const types = [...new Set(inputs.map((i) => (i.type === "image_url" ? "image" : "text")))];
  const scores = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, marked[c] ?? 0.01]));
  return json({
    id: `modr-${id}-${Math.random().toString(36).slice(2)}`,
    model: `${String(body.model ?? "unknown")}-2024-09-26`,
    results: [
      {
        flagged: Object.values(scores).some((s) => s >= 0.5),
        categories: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, (scores[c] ?? 0) >= 0.5])),
        category_scores: scores,
        category_applied_input_types: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, types])),
      },
    ],
  });
}

export async function fakeOpenAI(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [, first = "", id = ""] = url.pathname.split("/");
  if (first === "__script" && request.method === "POST") {
    scripts.set(id, (await request.json()) as Step[]);
    return json({ ok: true });
  }
  if (first === "__requests" && request.method === "GET") return json(requests.get(id) ?? []);
  const moderations = url.pathname === "/v1/moderations";
  if ((url.pathname !== "/v1/chat/completions" && !moderations) || request.method !== "POST") {
    return error(404, "Unknown path");
  }

  const body = (await request.json()) as Record<string, unknown>;
  const id_ = caseOf(body);
  requests.set(id_, [
    ...(requests.get(id_) ?? []),
    { authorization: request.headers.get("authorization"), body, at: Date.now() },
  ]);
  const script = scripts.get(id_) ?? [];
  const step: Step = (script.length > 1 ? script.shift() : script[0]) ?? { kind: "ok" };
  if (moderations) {
    if (step.kind === "status") {
      return error(
        step.status,
        `Fake provider answered ${step.status}`,
        step.retry_after ? { "retry-after": step.retry_after } : {},
      );
    }
    return moderation(body, id_);
  }
  const model = String(body.model ?? "unknown");
  switch (step.kind) {
    case "ok":
      return completion(model, JSON.stringify(step.answer ?? VALID_ANSWER));
    case "invalid":
      return completion(model, JSON.stringify(INVALID_ANSWER));
    case "not-json":
      return completion(model, "Here are some captions: golden hour!");
    case "status":
      return error(
        step.status,
        `Fake provider answered ${step.status}`,
        step.retry_after ? { "retry-after": step.retry_after } : {},
      );
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, step.ms));
      return completion(model, JSON.stringify(VALID_ANSWER));
  }
}
