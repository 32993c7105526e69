import type { z } from "@hono/zod-openapi";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type { Clock } from "./clock";
import type { AiConfig } from "./config";

/**
 * The one place that talks to a language model: any OpenAI-compatible chat completions API
 * (OpenAI, Cloudflare AI Gateway or Workers AI's OpenAI endpoint, Ollama, vLLM), and the
 * moderation endpoint (`AiModeration` below), through the
 * `openai` SDK with the base URL, model, key and timeout from the configuration. The SDK retries
 * nothing (`maxRetries: 0`): the queue retries, with backoff, so a retry survives an eviction and
 * is counted (docs/captions.md).
 */
export interface AiChat {
  model: string;
  /**
   * One chat completion with a strict JSON schema (`response_format: json_schema`, from zod). The
   * answer is parsed and checked against the same schema here; a refusal or a mismatch is
   * `invalid`, not an error.
   */
  structured<T extends z.ZodType>(args: {
    name: string;
    schema: T;
    system: string;
    text: string;
    imageDataUrl: string;
    maxTokens: number;
  }): Promise<StructuredResult<z.infer<T>>>;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export type StructuredResult<T> =
  | { ok: true; value: T; model: string; usage: Usage | null }
  | { ok: false; invalid: string; model: string; usage: Usage | null };

/** Why a call failed, in terms of what to do about it. */
export class AiError extends Error {
  constructor(
    readonly kind: "retry" | "config",
    message: string,
    /** For `retry`: how long the provider asked us to wait (its `retry-after`), in seconds. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "AiError";
  }
}

/** `retry-after` as seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/**
 * An SDK failure as an AiError: what the operator must fix, or what the queue should retry.
 * `modelSetting` names the setting that chose the model, for the 400/404 message.
 */
export function classify(err: unknown, now: Date, modelSetting = "OPENAI_MODEL"): AiError {
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return new AiError("retry", "The provider did not answer in time.");
  if (err instanceof OpenAI.APIConnectionError) return new AiError("retry", "The provider could not be reached.");
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    if (status === 429 || status >= 500) {
      const wait = retryAfterSeconds(err.headers?.get("retry-after"), now);
      return new AiError("retry", `The provider answered ${status}.`, wait);
    }
    if (status === 401 || status === 403) {
      return new AiError("config", `The provider refused the credentials (${status}): check OPENAI_API_KEY.`);
    }
    return new AiError(
      "config",
      `The provider refused the request (${status}): check ${modelSetting} and OPENAI_BASE_URL.`,
    );
  }
  return new AiError("retry", `The provider call failed: ${String(err)}`);
}

function clientFor(config: AiConfig): OpenAI {
  return new OpenAI({
    baseURL: config.baseURL,
    // Local providers (Ollama, vLLM) need no key; the SDK insists on one, which they ignore.
    apiKey: config.apiKey ?? "no-key",
    timeout: config.timeoutMs,
    maxRetries: 0,
  });
}

/** One input of a moderation request: text, or an image as a URL (here always a data URL). */
export type ModerationInput = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface ModerationScores {
  /** The model that answered, as the provider names it. */
  model: string;
  /** Each category's highest score over the request's results (0 to 1), by the provider's names. */
  scores: Record<string, number>;
}

/**
 * The provider's moderation endpoint (`POST /moderations`, docs/moderation.md): it classifies text
 * and images into categories (sexual, sexual/minors, harassment, hate, violence, self-harm,
 * illicit, and their sub-categories) with a score each. The thresholds are the caller's.
 */
export interface AiModeration {
  model: string;
  /** Throws an AiError (`retry` or `config`) when the provider fails or refuses. */
  moderate(input: ModerationInput[]): Promise<ModerationScores>;
}

export function aiModerationFor(config: AiConfig, clock: Clock): AiModeration {
  const client = clientFor(config);
  return {
    model: config.model,
    async moderate(input) {
      let answer: OpenAI.ModerationCreateResponse;
      try {
        answer = await client.moderations.create({ model: config.model, input });
      } catch (err) {
        throw classify(err, clock.now(), "MODERATION_MODEL");
      }
      const scores: Record<string, number> = {};
      for (const result of answer.results ?? []) {
        for (const [category, score] of Object.entries(result.category_scores ?? {})) {
          if (typeof score === "number" && Number.isFinite(score))
            scores[category] = Math.max(scores[category] ?? 0, score);
        }
      }
      return { model: answer.model || config.model, scores };
    },
  };
}

export function aiChatFor(config: AiConfig, clock: Clock): AiChat {
  const client = clientFor(config);
  return {
    model: config.model,
    async structured({ name, schema, system, text, imageDataUrl, maxTokens }) {
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create({
          model: config.model,
          max_completion_tokens: maxTokens,
          response_format: zodResponseFormat(schema, name),
          messages: [
            { role: "system", content: system },
            {
              role: "user",
              content: [
                { type: "text", text },
                { type: "image_url", image_url: { url: imageDataUrl, detail: "low" } },
              ],
            },
          ],
        });
      } catch (err) {
        throw classify(err, clock.now());
      }
      const usage = completion.usage
        ? { input_tokens: completion.usage.prompt_tokens, output_tokens: completion.usage.completion_tokens }
        : null;
      const model = completion.model || config.model;
      const message = completion.choices[0]?.message;
      if (!message) return { ok: false, invalid: "The answer had no message.", model, usage };
      if (message.refusal) return { ok: false, invalid: `The model refused: ${message.refusal}`, model, usage };
      let json: unknown;
      try {
        json = JSON.parse(message.content ?? "");
      } catch {
        return { ok: false, invalid: "The answer was not JSON.", model, usage };
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        return { ok: false, invalid: `The answer did not match the schema: ${parsed.error.message}`, model, usage };
      }
      return { ok: true, value: parsed.data, model, usage };
    },
  };
}
