import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env";
import { accountAuthRoutes, accountMeRoutes, devMailboxRoutes } from "./features/account/account.routes";
import { deletionRoutes } from "./features/account/deletion.routes";
import { authRoutes } from "./features/auth/auth.routes";
import { captionRoutes } from "./features/captions/captions.routes";
import { conversationRoutes, realtimeRoutes } from "./features/chat/chat.routes";
import { exploreRoutes } from "./features/explore/explore.routes";
import { exportHostRoutes, exportRoutes } from "./features/export/export.routes";
import { feedRoutes } from "./features/feed/feed.routes";
import { graphMeRoutes, graphUserRoutes } from "./features/graph/graph.routes";
import { liveRoutes, postLiveRoutes, streamWebhookRoutes } from "./features/live/live.routes";
import { mediaApiRoutes, mediaHostRoutes } from "./features/media/media.routes";
import { adminRoutes, appealRoutes, reportRoutes } from "./features/moderation/moderation.routes";
import { notificationRoutes, notificationSettingsRoutes } from "./features/notifications/notifications.routes";
import { commentRoutes, postRoutes, postsOfUserRoutes, savedRoutes } from "./features/posts/posts.routes";
import { pushRoutes } from "./features/push/push.routes";
import { searchRoutes } from "./features/search/search.routes";
import {
  highlightRoutes,
  storiesOfUserRoutes,
  storyArchiveRoutes,
  storyRoutes,
} from "./features/stories/stories.routes";
import { suggestionRoutes } from "./features/suggestions/suggestions.routes";
import { tagRoutes } from "./features/tags/tags.routes";
import { meRoutes, userRoutes } from "./features/users/users.routes";
import { DOCS_CSP, docsPage } from "./http/docs";
import { handleError } from "./http/errors";
import { unroutedAnswer } from "./http/methods";
import { BOOKMARK_HEADER, d1Session } from "./http/middleware/d1-session";
import { bodyCap, noStore, requestContext } from "./http/middleware/request";
import { completeDocument, createRouter, jsonContent } from "./http/openapi";

/** Builds the Hono app: global middleware, error rendering, and one router per feature. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", requestContext);
  // JSON needs no scripts, frames or styles; the docs page loads its own script and styles.
  const apiHeaders = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], sandbox: [] },
    crossOriginResourcePolicy: "same-site",
  });
  const docsHeaders = secureHeaders({ contentSecurityPolicy: DOCS_CSP });
  app.use("*", (c, next) => (c.req.path === "/docs" ? docsHeaders(c, next) : apiHeaders(c, next)));
  app.use("/v1/*", (c, next) =>
    cors({
      origin: (origin) => (c.get("config").corsOrigins.includes(origin) ? origin : null),
      allowHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", BOOKMARK_HEADER],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["x-request-id", "retry-after", BOOKMARK_HEADER],
      maxAge: 600,
    })(c, next),
  );
  // One D1 session per request, its bookmark on the response (docs/replication.md). After CORS, so
  // a preflight, answered there, opens none.
  app.use("*", d1Session);
  app.use("/v1/*", noStore);
  app.use("/v1/*", bodyCap);

  app.route("/v1/auth", authRoutes);
  app.route("/v1/auth", accountAuthRoutes);
  app.route("/v1/me", meRoutes);
  app.route("/v1/me", accountMeRoutes);
  app.route("/v1/me", deletionRoutes);
  app.route("/v1/me", graphMeRoutes);
  app.route("/v1/users", userRoutes);
  app.route("/v1/users", graphUserRoutes);
  app.route("/v1/media", mediaApiRoutes);
  app.route("/v1/media", captionRoutes);
  app.route("/v1/posts", postRoutes);
  app.route("/v1/feed", feedRoutes);
  app.route("/v1/comments", commentRoutes);
  app.route("/v1/users", postsOfUserRoutes);
  app.route("/v1/me", savedRoutes);
  app.route("/v1/conversations", conversationRoutes);
  app.route("/v1/realtime", realtimeRoutes);
  app.route("/v1/stories", storyRoutes);
  app.route("/v1/users", storiesOfUserRoutes);
  app.route("/v1/me", storyArchiveRoutes);
  app.route("/v1/highlights", highlightRoutes);
  app.route("/v1/search", searchRoutes);
  app.route("/v1/explore", exploreRoutes);
  app.route("/v1/tags", tagRoutes);
  app.route("/v1/me", suggestionRoutes);
  app.route("/v1/live", liveRoutes);
  app.route("/v1/posts", postLiveRoutes);
  app.route("/webhooks/stream", streamWebhookRoutes);
  app.route("/v1/notifications", notificationRoutes);
  app.route("/v1/me", notificationSettingsRoutes);
  app.route("/v1/push", pushRoutes);
  app.route("/v1/reports", reportRoutes);
  app.route("/v1/appeals", appealRoutes);
  app.route("/v1/admin", adminRoutes);
  app.route("/v1/me", exportRoutes);
  app.route("/", mediaHostRoutes);
  app.route("/", exportHostRoutes);
  app.route("/dev", devMailboxRoutes);

  app.route(
    "/",
    createRouter()
      .openapi(
        createRoute({
          method: "get",
          path: "/livez",
          tags: ["meta"],
          summary: "Liveness: the Worker answers, touching no binding (also the benchmarks' trivial route)",
          responses: { 200: jsonContent(z.object({ ok: z.literal(true) }), "Alive") },
        }),
        (c) => c.json({ ok: true as const }, 200),
      )
      .openapi(
        createRoute({
          method: "get",
          path: "/healthz",
          tags: ["meta"],
          summary: "Readiness, including a round trip to D1",
          responses: { 200: jsonContent(z.object({ ok: z.literal(true) }), "Healthy") },
        }),
        async (c) => {
          await c.var.platform.db.run(sql`SELECT 1`);
          return c.json({ ok: true as const }, 200);
        },
      ),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from /v1/auth/signup, /login or /refresh",
  });
  // Generated once per app from the routes, then completed with the answers every operation of a
  // given shape shares (src/http/openapi.ts, completeDocument).
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= completeDocument(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "Edgegram API",
          version: "1.0.0",
          description:
            "Photo sharing at the edge. Errors are RFC 9457 problem details; lists are keyset-paged with opaque cursors. " +
            "Besides each route's documented answers, any path answers 405 `method_not_allowed` (with `allow`) to a method it does not serve, and 501 `not_implemented` to a method no path serves.",
        },
      }),
    );
    return c.json(document);
  });
  app.get("/docs", docsPage);

  // No route took the request: 404, or 405 / 501 when it is the method that is not served.
  const unrouted = unroutedAnswer(app.routes);
  app.notFound((c) => {
    throw unrouted(c.req.method, c.req.path);
  });
  app.onError(handleError);
  return app;
}
