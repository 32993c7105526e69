import { z } from "@hono/zod-openapi";
import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "../platform/crypto";
import { ApiError } from "./errors";

/**
 * Opaque keyset cursors: `base64url(json) "." base64url(hmac)`. The payload names the list it
 * belongs to (`k`) and the sort key of the last item returned (`v`); the MAC stops clients from
 * forging a position or replaying a cursor on another list (docs/security.md A11). Keyset, not offset:
 * a page boundary stays put while new items arrive.
 */
type CursorValue = string | number;

interface CursorPayload {
  k: string;
  v: CursorValue[];
}

const MAC_BYTES = 16;
export const MAX_CURSOR_LENGTH = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function encodeCursor(secret: string, list: string, values: CursorValue[]): Promise<string> {
  const payload = base64UrlEncode(encoder.encode(JSON.stringify({ k: list, v: values } satisfies CursorPayload)));
  const mac = (await hmacSha256(secret, `cursor:${payload}`)).slice(0, MAC_BYTES);
  return `${payload}.${base64UrlEncode(mac)}`;
}

/** A cursor that is not one of ours, not for this list, or not carrying what the list pages by. */
export const invalidCursor = () => new ApiError("invalid_cursor", "The cursor is not valid for this list.");

export async function decodeCursor(secret: string, list: string, cursor: string): Promise<CursorValue[]> {
  const invalid = invalidCursor();
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid;
  const [payload, macText, extra] = cursor.split(".");
  if (payload === undefined || macText === undefined || extra !== undefined) throw invalid;
  const mac = base64UrlDecode(macText);
  const expected = (await hmacSha256(secret, `cursor:${payload}`)).slice(0, MAC_BYTES);
  if (!mac || !timingSafeEqual(mac, expected)) throw invalid;
  const bytes = base64UrlDecode(payload);
  if (!bytes) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw invalid;
  }
  const shape = z.strictObject({ k: z.string(), v: z.array(z.union([z.string(), z.number()])) });
  const result = shape.safeParse(parsed);
  if (!result.success || result.data.k !== list) throw invalid;
  return result.data.v;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;

/** `?cursor=&limit=` for every list endpoint. */
export const PageQuerySchema = z.strictObject({
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().openapi({ description: "Opaque cursor from next_cursor" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Page size, 1-${MAX_PAGE_SIZE}` }),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/**
 * Splits the `limit + 1` rows a keyset query fetched into the page and its `next_cursor`: the extra
 * row only says another page exists; the cursor points after the last row returned.
 */
export async function splitPage<R>(
  rows: R[],
  args: { limit: number; secret: string; list: string; key: (row: R) => CursorValue[] },
): Promise<{ rows: R[]; next_cursor: string | null }> {
  const pageRows = rows.slice(0, args.limit);
  const last = pageRows[pageRows.length - 1];
  const next_cursor =
    rows.length > args.limit && last !== undefined ? await encodeCursor(args.secret, args.list, args.key(last)) : null;
  return { rows: pageRows, next_cursor };
}

/** `{items, next_cursor}` from a `limit + 1` keyset query, mapping each row. */
export async function toPage<R, T>(
  rows: R[],
  args: {
    limit: number;
    secret: string;
    list: string;
    key: (row: R) => CursorValue[];
    map: (row: R) => T | Promise<T>;
  },
): Promise<{ items: T[]; next_cursor: string | null }> {
  const page = await splitPage(rows, args);
  return { items: await Promise.all(page.rows.map((row) => args.map(row))), next_cursor: page.next_cursor };
}

/** The keyset position a cursor carries for `list` (its first value), or null without a cursor. */
export async function cursorPosition(secret: string, list: string, cursor: string | undefined): Promise<string | null> {
  if (cursor === undefined) return null;
  const [first] = await decodeCursor(secret, list, cursor);
  if (typeof first !== "string") throw invalidCursor();
  return first;
}
