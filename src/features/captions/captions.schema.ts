import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { TONES } from "./prompt";

/** A BCP 47 tag as `Intl` canonicalises it (`pt-br` → `pt-BR`); invalid tags are refused. */
const LanguageSchema = z
  .string()
  .min(2)
  .max(35)
  .transform((value, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(value);
      if (canonical) return canonical;
    } catch {
      // RangeError: not a well-formed tag.
    }
    ctx.addIssue({ code: "custom", message: "Not a BCP 47 language tag (such as en, fr, pt-BR)" });
    return z.NEVER;
  })
  .openapi({ type: "string", description: "BCP 47 language tag of the suggestions", example: "en" });

export const HINT_MAX_CHARS = 200;

export const CaptionRequestSchema = z
  .strictObject({
    tone: z.enum(TONES).default("casual"),
    language: LanguageSchema.default("en"),
    hint: userText()
      .refine((s) => [...s].length <= HINT_MAX_CHARS, `At most ${HINT_MAX_CHARS} characters`)
      .default("")
      .openapi({
        description: "What the photo is about, in the author's words (treated as data, never as instructions)",
      }),
  })
  .openapi("CaptionRequest");
export type CaptionRequest = z.infer<typeof CaptionRequestSchema>;

export const CaptionSuggestionsSchema = z
  .object({
    status: z.enum(["pending", "ready", "failed", "unavailable"]),
    suggestions: z
      .array(z.object({ caption: z.string(), hashtags: z.array(z.string()) }))
      .openapi({ description: "Three suggestions, shortest first; empty until ready" }),
    alt_text: z.union([z.string(), z.null()]).openapi({ description: "For the post's `alt_texts`" }),
    model: z.union([z.string(), z.null()]),
    generated_at: z.union([z.string(), z.null()]),
    error: z.string().optional().openapi({ description: "Why it failed, or the last error while it retries" }),
    options: z.union([z.object({ tone: z.enum(TONES), language: z.string(), hint: z.string() }), z.null()]),
    usage: z
      .union([z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }), z.null()])
      .openapi({ description: "Tokens the provider reported for this suggestion (the cost), when it reports them" }),
  })
  .openapi("CaptionSuggestions");
export type CaptionSuggestions = z.infer<typeof CaptionSuggestionsSchema>;
