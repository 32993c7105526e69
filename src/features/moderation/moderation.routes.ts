import { createRoute } from "@hono/zod-openapi";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { callerOf, requireAuth, requireStaff } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import * as blocklist from "./blocklist.service";
import {
  ActionSchema,
  AppealSchema,
  AuditQuerySchema,
  BlocklistAddSchema,
  BlocklistEntrySchema,
  BlocklistParamsSchema,
  CreateAppealSchema,
  CreateReportSchema,
  EventSchema,
  QueueEntrySchema,
  QueueQuerySchema,
  ReportSchema,
  SubjectDetailSchema,
  SubjectParamsSchema,
} from "./moderation.schema";
import * as moderation from "./moderation.service";

const signedIn = { security: bearerAuth, middleware: [requireAuth] };
/** Staff routes answer 404 to everyone else (docs/moderation.md, "Roles"). */
const staffOnly = { tags: ["admin"], security: bearerAuth, middleware: [requireStaff] };

/** `POST /v1/reports`. */
export const reportRoutes = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["moderation"],
    summary:
      "Report something you can see: a post, comment, story, account, message (of a conversation you are in) or live comment; a repeat of your open report collapses onto it (200)",
    ...signedIn,
    request: { body: jsonBody(CreateReportSchema) },
    responses: {
      200: jsonContent(ReportSchema, "You had already reported it: your open report"),
      201: jsonContent(ReportSchema, "Reported"),
      ...problems("unauthorized", "not_found", "validation_failed", "rate_limited"),
    },
  }),
  async (c) => {
    const { report, created } = await moderation.createReport(c.var.platform, callerOf(c).userId, c.req.valid("json"));
    return created ? c.json(report, 201) : c.json(report, 200);
  },
);

/** `POST /v1/appeals`. */
export const appealRoutes = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/",
    tags: ["moderation"],
    summary: "Appeal the hiding of your post, comment or story, once; it goes back to the review queue",
    ...signedIn,
    request: { body: jsonBody(CreateAppealSchema) },
    responses: {
      201: jsonContent(AppealSchema, "Appealed"),
      ...problems("unauthorized", "not_found", "conflict", "validation_failed"),
    },
  }),
  async (c) => c.json(await moderation.appeal(c.var.platform, callerOf(c).userId, c.req.valid("json")), 201),
);

/** `/v1/admin/...`: moderators and admins. */
export const adminRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/reports",
      summary: "The review queue: one entry per reported, flagged or appealed thing, highest priority first",
      ...staffOnly,
      request: { query: QueueQuerySchema },
      responses: {
        200: jsonContent(pageOf(QueueEntrySchema), "A page of subjects"),
        ...problems("not_found", "invalid_cursor", "validation_failed"),
      },
    }),
    async (c) => c.json(await moderation.listQueue(c.var.platform, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/subjects/{type}/{id}",
      summary: "One subject: its content now (even hidden), as first reported, its reports and its history",
      ...staffOnly,
      request: { params: SubjectParamsSchema },
      responses: {
        200: jsonContent(SubjectDetailSchema, "The subject"),
        ...problems("unauthorized", "not_found", "validation_failed"),
      },
    }),
    async (c) => {
      const { type, id } = c.req.valid("param");
      return c.json(await moderation.subjectDetail(c.var.platform, type, id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/subjects/{type}/{id}/actions",
      summary:
        "Act on a subject: dismiss, hide, restore, warn, suspend (its owner; `duration_hours` for a temporary one) or unsuspend; resolves its open reports and tells the author and the reporters",
      ...staffOnly,
      request: { params: SubjectParamsSchema, body: jsonBody(ActionSchema) },
      responses: {
        201: jsonContent(EventSchema, "The event recorded"),
        ...problems("unauthorized", "forbidden", "not_found", "conflict", "validation_failed"),
      },
    }),
    async (c) => {
      const { type, id } = c.req.valid("param");
      return c.json(await moderation.act(c.var.platform, callerOf(c), type, id, c.req.valid("json")), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/audit",
      summary: "The append-only log of every staff and system action and every appeal, newest first",
      ...staffOnly,
      request: { query: AuditQuerySchema },
      responses: {
        200: jsonContent(pageOf(EventSchema), "A page of events"),
        ...problems("not_found", "invalid_cursor", "validation_failed"),
      },
    }),
    async (c) => c.json(await moderation.audit(c.var.platform, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/media-blocklist",
      summary:
        "Blocklist an image (a media id from the review screen): later uploads of the same file, or of a near duplicate (dHash), are refused at complete; the same file again answers its entry (200)",
      description:
        "Media uploaded before hashes were stored gets them computed from its processed copy; media that never finished processing answers 409.",
      ...staffOnly,
      request: { body: jsonBody(BlocklistAddSchema) },
      responses: {
        200: jsonContent(BlocklistEntrySchema, "The file was already blocklisted: its entry"),
        201: jsonContent(BlocklistEntrySchema, "Blocklisted"),
        ...problems("unauthorized", "not_found", "conflict", "validation_failed"),
      },
    }),
    async (c) => {
      const { entry, created } = await blocklist.addToBlocklist(c.var.platform, callerOf(c), c.req.valid("json"));
      return created ? c.json(entry, 201) : c.json(entry, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/media-blocklist",
      summary: "The media blocklist, newest first",
      ...staffOnly,
      request: { query: PageQuerySchema },
      responses: {
        200: jsonContent(pageOf(BlocklistEntrySchema), "A page of entries"),
        ...problems("not_found", "invalid_cursor", "validation_failed"),
      },
    }),
    async (c) => c.json(await blocklist.listBlocklist(c.var.platform, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/media-blocklist/{id}",
      summary: "Remove an image from the blocklist (admins only); later uploads of it are accepted again",
      ...staffOnly,
      request: { params: BlocklistParamsSchema },
      responses: {
        204: { description: "Removed" },
        ...problems("unauthorized", "forbidden", "not_found", "validation_failed"),
      },
    }),
    async (c) => {
      await blocklist.removeFromBlocklist(c.var.platform, callerOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
