import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import { PushSubscriptionSchema, SubscribeSchema, UnsubscribeSchema, VapidPublicKeySchema } from "./push.schema";
import * as push from "./push.service";

const tags = ["push"];
const signedIn = { security: bearerAuth, middleware: [requireAuth] };

export const pushRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/vapid-public-key",
      tags,
      summary: "The VAPID public key browsers subscribe with (`applicationServerKey`)",
      responses: { 200: jsonContent(VapidPublicKeySchema, "The key, base64url") },
    }),
    (c) => c.json(push.vapidPublicKey(c.var.platform), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/subscriptions",
      tags,
      summary:
        "Receive notifications as Web Push in this browser; an endpoint you already subscribed gets its keys refreshed (200), at most 10 per account (the oldest is dropped)",
      ...signedIn,
      request: { body: jsonBody(SubscribeSchema) },
      responses: {
        200: jsonContent(PushSubscriptionSchema, "Already yours: the keys were refreshed"),
        201: jsonContent(PushSubscriptionSchema, "Subscribed"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => {
      const { subscription, created } = await push.subscribe(c.var.platform, callerOf(c).userId, c.req.valid("json"));
      return created ? c.json(subscription, 201) : c.json(subscription, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/subscriptions",
      tags,
      summary: "Stop Web Push to this browser (one of your own subscriptions)",
      ...signedIn,
      request: { body: jsonBody(UnsubscribeSchema) },
      responses: {
        204: { description: "Unsubscribed" },
        ...problems("unauthorized", "not_found", "validation_failed"),
      },
    }),
    async (c) => {
      await push.unsubscribe(c.var.platform, callerOf(c).userId, c.req.valid("json").endpoint);
      return c.body(null, 204);
    },
  );
