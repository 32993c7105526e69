import { ApiError, notFound } from "../../http/errors";
import type { Platform } from "../../platform";
import { base64UrlBytes } from "../../platform/config";
import { base64UrlEncode } from "../../platform/crypto";
import { newId } from "../../platform/ids";
import { MAX_PUSH_PAYLOAD_BYTES } from "../../platform/web-push";
import {
  deleteOwnSubscription,
  deleteSubscription,
  findSubscription,
  markDelivered,
  subscriptionIds,
  upsertSubscription,
} from "./push.repo";
import type { PushSubscriptionBody, SubscribeInput } from "./push.schema";

/** Browsers a user may receive pushes on; subscribing an 11th drops the oldest. */
export const MAX_SUBSCRIPTIONS_PER_USER = 10;
/** How long a push service keeps an undelivered message for an offline browser. */
export const PUSH_TTL_SECONDS = 86_400;

type PushDeps = Pick<Platform, "db" | "clock">;

export function vapidPublicKey(deps: Pick<Platform, "push">): { public_key: string } {
  return { public_key: deps.push.publicKey };
}

/** An unpadded spelling, so one key has one stored form. */
const unpadded = (value: string) => value.replace(/=+$/, "");

/**
 * Subscribes this browser for the caller. `created` is false when the endpoint already was the
 * caller's (its keys are refreshed); an endpoint held by another account moves to the caller.
 */
export async function subscribe(
  deps: PushDeps,
  userId: string,
  input: SubscribeInput,
): Promise<{ subscription: PushSubscriptionBody; created: boolean }> {
  const p256dh = unpadded(input.keys.p256dh);
  // The schema checked the length and the 0x04 prefix; a point off the curve would fail every
  // send, so it is refused here, where the client can still hear about it.
  if (!(await isCurvePoint(p256dh))) {
    throw new ApiError("validation_failed", "The request has invalid or unknown fields.", {
      errors: [{ path: "keys.p256dh", message: "Must be a point on the P-256 curve." }],
    });
  }
  const now = deps.clock.now();
  const { row, previousOwner } = await upsertSubscription(deps.db, {
    id: newId(now.getTime()),
    userId,
    endpoint: input.endpoint,
    p256dh,
    auth: unpadded(input.keys.auth),
    now: now.toISOString(),
    max: MAX_SUBSCRIPTIONS_PER_USER,
  });
  return {
    subscription: { id: row.id, endpoint: row.endpoint, created_at: row.created_at },
    created: previousOwner !== userId,
  };
}

async function isCurvePoint(p256dh: string): Promise<boolean> {
  const bytes = base64UrlBytes(p256dh);
  if (bytes === null) return false;
  try {
    await crypto.subtle.importKey("raw", bytes, { name: "ECDH", namedCurve: "P-256" }, false, []);
    return true;
  } catch {
    return false;
  }
}

/** Removes the caller's subscription at this endpoint; anyone else's, or none, is a 404. */
export async function unsubscribe(deps: Pick<Platform, "db">, userId: string, endpoint: string): Promise<void> {
  if (!(await deleteOwnSubscription(deps.db, userId, endpoint))) throw notFound("push subscription");
}

/** The ids of a user's subscriptions, newest first: one `push.send` job each. */
export async function subscriptionIdsOf(deps: Pick<Platform, "db">, userId: string): Promise<string[]> {
  return subscriptionIds(deps.db, userId);
}

/**
 * What a push carries to the service worker: a short text and where to go, never the private
 * content of a post (the recipient may lose access to it before the push is shown).
 */
export interface PushMessage {
  title: string;
  body: string;
  group_key: string;
  notification_id: string;
  url: string;
}

/**
 * Sends one message to one subscription, for the `push.send` consumer. Returns when there is
 * nothing more to do; throws when the message should be retried (the consumer's backoff, then
 * the dead-letter queue). A subscription the push service says is gone is deleted.
 */
export async function deliverPush(
  deps: Pick<Platform, "db" | "push" | "clock">,
  subscriptionId: string,
  message: PushMessage,
): Promise<void> {
  const sub = await findSubscription(deps.db, subscriptionId);
  // Unsubscribed, expired, or moved to another account since the job was queued.
  if (!sub) return;
  const payload = fitPayload(message);
  if (payload === null) {
    logPush("warn", "message too large even with its text cut; not sent", { subscription_id: sub.id });
    return;
  }
  const outcome = await deps.push.send(sub, payload, {
    ttl: PUSH_TTL_SECONDS,
    topic: await topicOf(message.group_key),
    urgency: "normal",
  });
  switch (outcome.kind) {
    case "sent":
      await markDelivered(deps.db, sub.id, deps.clock.now().toISOString());
      return;
    case "gone":
      await deleteSubscription(deps.db, sub.id);
      return;
    case "rejected":
      logPush("warn", "push service refused the message", { subscription_id: sub.id, status: outcome.status });
      return;
    case "retry":
      throw new Error(`push to subscription ${sub.id} failed (${outcome.status ?? "no answer"}): ${outcome.detail}`);
  }
}

/**
 * RFC 8030 §5.4 `Topic`: a queued message with the same topic is replaced, so a browser that was
 * offline gets a group's latest state once. At most 32 base64url characters: a hash of the group
 * key (which itself is not sent in the clear to the push service).
 */
async function topicOf(groupKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(groupKey));
  return base64UrlEncode(new Uint8Array(digest).slice(0, 16));
}

const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;
const fits = (message: PushMessage) => utf8Length(JSON.stringify(message)) <= MAX_PUSH_PAYLOAD_BYTES;
/** Longest title kept when a message has to be cut: a notification shows a line or two. */
const TITLE_CUT = 200;

/** `text` cut to its first `n` code points, marked with "…" when anything was cut. */
const cut = (chars: string[], n: number) => (n >= chars.length ? chars.join("") : `${chars.slice(0, n).join("")}…`);

/** The message with `field` cut to the longest prefix that lets it fit (binary search over code points). */
function cutToFit(message: PushMessage, field: "title" | "body"): PushMessage {
  const chars = Array.from(message[field]);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits({ ...message, [field]: cut(chars, mid) })) lo = mid;
    else hi = mid - 1;
  }
  return { ...message, [field]: lo > 0 ? cut(chars, lo) : "" };
}

/**
 * The message as JSON within MAX_PUSH_PAYLOAD_BYTES: when it is too long, the title is cut to
 * TITLE_CUT characters, then the body to what fits, then the title again. Null when even that
 * does not fit (the ids and the URL alone are too long).
 */
function fitPayload(message: PushMessage): string | null {
  let fitted = message;
  if (!fits(fitted)) fitted = { ...fitted, title: cut(Array.from(fitted.title), TITLE_CUT) };
  if (!fits(fitted)) fitted = cutToFit(fitted, "body");
  if (!fits(fitted)) fitted = cutToFit(fitted, "title");
  return fits(fitted) ? JSON.stringify(fitted) : null;
}

function logPush(level: "warn", msg: string, fields: Record<string, unknown>): void {
  console.warn(JSON.stringify({ level, component: "push", msg, ...fields }));
}
