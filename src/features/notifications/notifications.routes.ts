import { createRoute } from "@hono/zod-openapi";
import { callerOf, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, problems } from "../../http/openapi";
import {
  MarkerSchema,
  MarkReadSchema,
  NotificationGroupPageSchema,
  NotificationSettingsPatchSchema,
  NotificationSettingsSchema,
  NotificationsQuerySchema,
  UnreadCountSchema,
} from "./notifications.schema";
import { getSettings, listNotifications, markRead, unreadCount, updateSettings } from "./notifications.service";

const tags = ["notifications"];

export const notificationRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "Notification groups, newest activity first",
      description:
        "Likes of one post, and follows, are grouped within a window (hour buckets; a group spans at most 12 hours); " +
        "every other notification is a group of its own. `?folder=filtered` lists what the stranger policy set aside.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { query: NotificationsQuerySchema },
      responses: {
        200: jsonContent(NotificationGroupPageSchema, "One page of groups"),
        ...problems("unauthorized", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) => c.json(await listNotifications(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/unread_count",
      tags,
      summary: "How many groups of the main list are unread (exact up to 1,000)",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 200: jsonContent(UnreadCountSchema, "The count"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await unreadCount(c.var.platform, callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/read",
      tags,
      summary: "Move the read marker forward to one of your notifications",
      description: "A marker never moves back: an older id leaves it where it is.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(MarkReadSchema) },
      responses: {
        200: jsonContent(MarkerSchema, "The marker as it now stands"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await markRead(c.var.platform, callerOf(c).userId, c.req.valid("json").last_read_id), 200),
  );

export const notificationSettingsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/notification-settings",
      tags,
      summary: "Which notifications you get, by type, and the policy for strangers",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      responses: { 200: jsonContent(NotificationSettingsSchema, "The settings"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await getSettings(c.var.platform, callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/notification-settings",
      tags,
      summary: "Change some notification settings",
      description: "`moderation` and `system` notifications cannot be turned off.",
      security: bearerAuth,
      middleware: [requireAuth] as const,
      request: { body: jsonBody(NotificationSettingsPatchSchema) },
      responses: {
        200: jsonContent(NotificationSettingsSchema, "The settings after the change"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await updateSettings(c.var.platform, callerOf(c).userId, c.req.valid("json")), 200),
  );
