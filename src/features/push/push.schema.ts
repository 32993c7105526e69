import { z } from "@hono/zod-openapi";
import { checkAuthSecret, checkP256dh, checkPushEndpoint, MAX_ENDPOINT_LENGTH } from "../../platform/web-push";

/** Turns a validator's reason (null: fine) into a zod issue on the field. */
const checkedBy = (check: (value: string) => string | null) => (value: string, ctx: z.RefinementCtx) => {
  const reason = check(value);
  if (reason !== null) ctx.addIssue({ code: "custom", message: reason });
};

/** An example subscription's values: a real P-256 point and 16-byte secret, as a browser gives them. */
const EXAMPLE = {
  endpoint: "https://fcm.googleapis.com/fcm/send/d3Jvbmcgd2F5IHRvIHRoZSBkb2Nz",
  p256dh: "BDU-Sy6SYWIli9YxfAqlEporN36UZa0P2SA-HDqE96Ger5G8bGJpO8PuGW1WPFfsZDPvnYkMbQlL5Z2LwCU4LHk",
  auth: "q8uQwK1l3sRW0n6o3Ecw5A",
};

export const PushEndpointSchema = z
  .string()
  .max(MAX_ENDPOINT_LENGTH)
  .superRefine(checkedBy(checkPushEndpoint))
  .openapi({
    description:
      "The push service URL from `PushSubscription.endpoint`: https on port 443, a public host (no loopback, private or link-local address)",
    example: EXAMPLE.endpoint,
  });

export const SubscribeSchema = z
  .strictObject({
    endpoint: PushEndpointSchema,
    keys: z.strictObject({
      p256dh: z
        .string()
        .max(128)
        .superRefine(checkedBy(checkP256dh))
        .openapi({ description: "base64url of the 65-byte uncompressed P-256 point", example: EXAMPLE.p256dh }),
      auth: z
        .string()
        .max(64)
        .superRefine(checkedBy(checkAuthSecret))
        .openapi({ description: "base64url of the 16-byte authentication secret", example: EXAMPLE.auth }),
    }),
  })
  .openapi("PushSubscribe", {
    description: "`endpoint` and `keys` of the browser's `PushSubscription.toJSON()` (nothing else)",
  });
export type SubscribeInput = z.infer<typeof SubscribeSchema>;

export const UnsubscribeSchema = z
  .strictObject({
    endpoint: z.string().min(1).max(MAX_ENDPOINT_LENGTH).openapi({ example: EXAMPLE.endpoint }),
  })
  .openapi("PushUnsubscribe");

export const PushSubscriptionSchema = z
  .object({ id: z.string(), endpoint: z.string(), created_at: z.string() })
  .openapi("PushSubscription");
export type PushSubscriptionBody = z.infer<typeof PushSubscriptionSchema>;

export const VapidPublicKeySchema = z
  .object({
    public_key: z.string().openapi({
      description: "The VAPID public key, base64url: pass it as `applicationServerKey` to `PushManager.subscribe`",
    }),
  })
  .openapi("VapidPublicKey");
