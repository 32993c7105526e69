import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonContent, noBody, problems } from "../../http/openapi";
import { ExportParamSchema, ExportQuerySchema, ExportSchema } from "./export.schema";
import { getExport, openDownload, requestExport } from "./export.service";

const tags = ["account"];

/** Mounted at /v1/me. */
export const exportRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/export",
      tags,
      summary: "Ask for a copy of your data: a ZIP built in the background (one per 24 hours)",
      description:
        "Answers the pending export if one is being built. A ready one made in the last 24 hours answers 429 with retry-after until the 24 hours have passed; a failed one may be asked for again at once.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: noBody },
      responses: {
        202: jsonContent(ExportSchema, "The export, pending until the job has written it"),
        ...problems("unauthorized", "rate_limited"),
      },
    }),
    async (c) => c.json(await requestExport(c.var.platform, callerOf(c).userId), 202),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/export",
      tags,
      summary: "Your latest data export: its state and, once ready, a signed download URL valid 7 days",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: {
        200: jsonContent(ExportSchema, "The latest export"),
        ...problems("unauthorized", "not_found"),
      },
    }),
    async (c) => c.json(await getExport(c.var.platform, callerOf(c).userId), 200),
  );

/** The download lives outside /v1: its URL is a capability, handed out by GET /v1/me/export. */
export const exportHostRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/exports/{id}",
    tags,
    summary: "Download a data export (the signed URL from GET /v1/me/export is the credential)",
    request: { params: ExportParamSchema, query: ExportQuerySchema },
    responses: {
      200: {
        description: "The ZIP",
        content: { "application/zip": { schema: { type: "string", format: "binary" } } },
      },
      ...problems("not_found"),
    },
  }),
  async (c) => {
    const file = await openDownload(c.var.platform, { id: c.req.valid("param").id, ...c.req.valid("query") });
    return new Response(file.body, {
      status: 200,
      headers: {
        "content-type": "application/zip",
        "content-length": String(file.size),
        "content-disposition": `attachment; filename="${file.filename}"`,
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
      },
    });
  },
);
