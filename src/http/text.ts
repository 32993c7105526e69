import { z } from "@hono/zod-openapi";

export const WELL_FORMED_MESSAGE = "must be valid Unicode text (no lone surrogates)";

/**
 * A string field holding people's text (captions, comments, bios, names, titles, messages). JSON
 * can carry half of a UTF-16 surrogate pair (`"\uD800"`); D1 and the rooms store UTF-8, which has
 * no such thing, so the stored text would differ from what was validated and outgrow its limit.
 * Such strings answer 422 naming the field instead (docs/security.md D2). The checks a caller
 * chains after this (`trim`, `max`, …) see only well-formed text.
 */
export const userText = () => z.string().refine((s) => s.isWellFormed(), WELL_FORMED_MESSAGE);
