import { sql } from "drizzle-orm";
import { captionJobs } from "../../db/schema";
import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { AiError, aiChatFor, type Usage } from "../../platform/ai";
import { base64Encode, sha256Hex } from "../../platform/crypto";
import { newId } from "../../platform/ids";
import { RetryLater } from "../../platform/jobs";
import { findMedia } from "../media/media.repo";
import { variantBytes } from "../media/media.service";
import {
  type CaptionJobRow,
  claimJob,
  failJob,
  findJob,
  findJobByOptions,
  finishJob,
  latestJob,
  releaseJob,
  startJob,
  touchRequested,
  usage,
} from "./captions.repo";
import type { CaptionRequest, CaptionSuggestions } from "./captions.schema";
import { CaptionAnswerSchema, checkAnswer, type Suggestion, systemPrompt, userText } from "./prompt";

/*
 * AI caption and alt-text suggestions (docs/captions.md). The request only records a job and
 * queues it (outbox); the queue consumer sends the 640 px JPEG and the options to the configured
 * OpenAI-compatible provider, checks the answer, and stores it for the author to choose from.
 * Nothing is ever applied to a post by itself.
 */

export type CaptionDeps = Pick<Platform, "db" | "clock" | "config" | "outbox">;
export type GenerateDeps = Pick<
  Platform,
  "db" | "clock" | "config" | "store" | "images" | "realtime" | "outbox" | "direct" | "origin"
>;

/** Jobs an account may have pending at once. */
export const MAX_PENDING = 3;
const DAY_MS = 24 * 3600_000;
/** Tokens the model may spend on an answer (three captions, hashtags and alt text fit easily). */
const MAX_OUTPUT_TOKENS = 800;

const UNCONFIGURED =
  "Caption suggestions are not configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any OpenAI-compatible provider, such as a local Ollama), and OPENAI_MODEL.";

function unavailable(): ApiError {
  return new ApiError("unavailable", UNCONFIGURED);
}

/** The owner's ready image, or 404 for anyone else (as if it did not exist); 409 while not ready. */
async function ownReadyMedia(deps: Pick<Platform, "db">, ownerId: string, mediaId: string) {
  const media = await findMedia(deps.db, mediaId);
  if (!media || media.owner_id !== ownerId) throw notFound("media");
  return media;
}

function viewOf(job: CaptionJobRow): CaptionSuggestions {
  const usage =
    job.input_tokens === null && job.output_tokens === null
      ? null
      : { input_tokens: job.input_tokens ?? 0, output_tokens: job.output_tokens ?? 0 };
  return {
    status: job.status,
    suggestions: job.status === "ready" && job.suggestions ? (JSON.parse(job.suggestions) as Suggestion[]) : [],
    alt_text: job.status === "ready" ? job.alt_text : null,
    model: job.model,
    generated_at: job.generated_at,
    ...(job.error ? { error: job.error } : {}),
    options: { tone: job.tone, language: job.language, hint: job.hint },
    usage,
  };
}

/**
 * `POST /v1/media/{id}/caption-suggestions`: the same image and options answer the job that has
 * them (pending or ready: no second provider call); a failed one is started again; new options
 * start a new job, within `CAPTIONS_PER_DAY` a day and `MAX_PENDING` at once (429 otherwise).
 */
export async function requestSuggestions(
  deps: CaptionDeps,
  ownerId: string,
  mediaId: string,
  options: CaptionRequest,
): Promise<{ view: CaptionSuggestions; pending: boolean }> {
  if (deps.config.captions.ai === null) throw unavailable();
  const media = await ownReadyMedia(deps, ownerId, mediaId);
  if (media.status !== "ready") {
    throw new ApiError("conflict", `The image is not ready yet (${media.status}): ask again once it is.`);
  }
  const optionsKey = await sha256Hex(JSON.stringify([options.tone, options.language, options.hint]));
  const now = deps.clock.now();
  const existing = await findJobByOptions(deps.db, mediaId, optionsKey);
  if (existing && existing.status !== "failed") {
    await touchRequested(deps.db, existing.id, now.toISOString());
    return { view: viewOf(existing), pending: existing.status === "pending" };
  }
  const id = existing?.id ?? newId(now.getTime());
  const at = now.toISOString();
  const dayAgo = new Date(now.getTime() - DAY_MS).toISOString();
  const staged = deps.outbox.stage(
    [{ type: "caption.generate", job_id: id }],
    sql`EXISTS (SELECT 1 FROM ${captionJobs} WHERE ${captionJobs.id} = ${id} AND ${captionJobs.status} = 'pending' AND ${captionJobs.created_at} = ${at})`,
  );
  const started = await startJob(
    deps.db,
    {
      id,
      mediaId,
      ownerId,
      optionsKey,
      ...options,
      now: at,
      dayAgo,
      perDay: deps.config.captions.perDay,
      maxPending: MAX_PENDING,
    },
    staged,
  );
  if (started) {
    await deps.outbox.deliver(staged.ids);
    const job = await findJob(deps.db, id);
    if (!job) throw new Error(`caption job ${id} vanished after insert`);
    return { view: viewOf(job), pending: true };
  }
  // A concurrent request with the same options won: answer its job.
  const raced = await findJobByOptions(deps.db, mediaId, optionsKey);
  if (raced && raced.status !== "failed") return { view: viewOf(raced), pending: raced.status === "pending" };
  throw await overQuota(deps, ownerId, now, dayAgo);
}

async function overQuota(deps: CaptionDeps, ownerId: string, now: Date, dayAgo: string): Promise<ApiError> {
  const u = await usage(deps.db, ownerId, dayAgo);
  if (u.pending >= MAX_PENDING) {
    return new ApiError("rate_limited", `At most ${MAX_PENDING} suggestion jobs may be pending at once.`, {
      headers: { "retry-after": "30" },
    });
  }
  const freeAt = u.oldest ? Date.parse(u.oldest) + DAY_MS : now.getTime() + DAY_MS;
  const wait = Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
  return new ApiError(
    "rate_limited",
    `At most ${deps.config.captions.perDay} suggestion jobs a day (CAPTIONS_PER_DAY).`,
    { headers: { "retry-after": String(wait) } },
  );
}

/** `GET /v1/media/{id}/caption-suggestions`: the image's current job, as its owner sees it. */
export async function getSuggestions(deps: CaptionDeps, ownerId: string, mediaId: string): Promise<CaptionSuggestions> {
  if (deps.config.captions.ai === null) {
    return {
      status: "unavailable",
      suggestions: [],
      alt_text: null,
      model: null,
      generated_at: null,
      error: UNCONFIGURED,
      options: null,
      usage: null,
    };
  }
  await ownReadyMedia(deps, ownerId, mediaId);
  const job = await latestJob(deps.db, mediaId);
  if (!job) throw new ApiError("not_found", "No caption suggestions were asked for this image.");
  return viewOf(job);
}

const sum = (a: Usage | null, b: Usage | null): Usage | null =>
  a === null
    ? b
    : b === null
      ? a
      : { input_tokens: a.input_tokens + b.input_tokens, output_tokens: a.output_tokens + b.output_tokens };

/**
 * The `caption.generate` consumer. A delivery claims the job first, so a duplicate delivery never
 * calls the provider a second time; a retryable provider error releases the claim and asks the
 * queue to come back after the provider's `retry-after` (or the backoff); a refusal (400, 401)
 * fails the job at once with the setting to fix. An answer that breaks the rules is asked for once
 * more, then the job fails.
 */
export async function generateCaptions(deps: GenerateDeps, jobId: string): Promise<void> {
  const ai = deps.config.captions.ai;
  const now = deps.clock.now();
  const claimFor = ai ? ai.timeoutMs * 2 + 30_000 : 60_000;
  const job = await claimJob(deps.db, jobId, now.toISOString(), new Date(now.getTime() + claimFor).toISOString());
  if (!job) {
    const current = await findJob(deps.db, jobId);
    if (current?.status !== "pending") return;
    // Another delivery holds it; look again once its claim has lapsed.
    const left = current.claimed_until ? Date.parse(current.claimed_until) - now.getTime() : 0;
    throw new RetryLater("another delivery holds this caption job", Math.max(1, Math.ceil(left / 1000)));
  }
  if (ai === null) return failJob(deps.db, job.id, UNCONFIGURED, null);
  const image = await variantBytes(deps, job.media_id, "medium", "image/jpeg");
  if (!image) return failJob(deps.db, job.id, "The image is gone or no longer ready.", null);

  const chat = aiChatFor(ai, deps.clock);
  const options = { tone: job.tone, language: job.language, hint: job.hint };
  const request = {
    name: "caption_suggestions",
    schema: CaptionAnswerSchema,
    system: systemPrompt(job.tone, job.language),
    imageDataUrl: `data:image/jpeg;base64,${base64Encode(new Uint8Array(image))}`,
    maxTokens: MAX_OUTPUT_TOKENS,
  };
  let spent: Usage | null = null;
  let model: string = chat.model;
  let rejected: string | undefined;
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await chat.structured({ ...request, text: userText(options, rejected) });
      spent = sum(spent, result.usage);
      model = result.model;
      const checked = result.ok ? checkAnswer(result.value) : ({ ok: false, reason: result.invalid } as const);
      if (checked.ok) {
        const finished = await finishJob(deps.db, job.id, {
          suggestions: JSON.stringify(checked.suggestions),
          altText: checked.altText,
          model,
          generatedAt: deps.clock.now().toISOString(),
          inputTokens: spent?.input_tokens ?? null,
          outputTokens: spent?.output_tokens ?? null,
        });
        if (finished) await announce(deps, job);
        return;
      }
      rejected = checked.reason;
    }
  } catch (err) {
    if (!(err instanceof AiError)) throw err;
    if (err.kind === "config") {
      return failJob(deps.db, job.id, err.message, {
        model,
        inputTokens: spent?.input_tokens ?? null,
        outputTokens: spent?.output_tokens ?? null,
      });
    }
    await releaseJob(deps.db, job.id, err.message);
    const backoff = deps.config.captions.retrySeconds * 2 ** Math.max(0, job.attempts - 1);
    throw new RetryLater(err.message, err.retryAfterSeconds ?? backoff);
  }
  await failJob(deps.db, job.id, `The model's answer broke the rules twice (last: ${rejected}).`, {
    model,
    inputTokens: spent?.input_tokens ?? null,
    outputTokens: spent?.output_tokens ?? null,
  });
}

/** Tells the owner's open sockets; best effort (the GET is the record). */
async function announce(deps: Pick<Platform, "realtime">, job: CaptionJobRow): Promise<void> {
  try {
    await deps.realtime.hub(job.owner_id).publishMany([{ type: "caption_suggestions", media_id: job.media_id }]);
  } catch (err) {
    console.error(
      JSON.stringify({ level: "warn", component: "captions", msg: "hub publish failed", err: String(err) }),
    );
  }
}

/** The dead-letter consumer's verdict: the provider never answered usefully. */
export async function failCaptionJob(deps: Pick<Platform, "db">, jobId: string, reason: string): Promise<void> {
  const job = await findJob(deps.db, jobId);
  await failJob(deps.db, jobId, job?.error ? `${reason} Last error: ${job.error}` : reason, null);
}
