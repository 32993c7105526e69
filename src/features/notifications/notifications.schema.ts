import { z } from "@hono/zod-openapi";
import { NOTIFICATION_TYPES, type NotificationType, TUNABLE_NOTIFICATION_TYPES } from "../../db/schema";
import { PageQuerySchema } from "../../http/cursor";
import { UserSummarySchema } from "../users/user-summary";

/** The types a person can tune; `moderation` and `system` always arrive (docs/notifications.md). */
export const TUNABLE_TYPES = TUNABLE_NOTIFICATION_TYPES;

const Choice = z.enum(["all", "following", "off"]).openapi({
  description: "`all`: from anyone; `following`: only from accounts you follow; `off`: never",
});
const StrangerPolicy = z.enum(["accept", "filter", "drop"]).openapi({
  description:
    "For notifications from strangers (accounts you do not follow, or younger than 30 days): `accept` into the list, " +
    "`filter` into `?folder=filtered`, or `drop`",
});

const settingsShape = {
  ...Object.fromEntries(TUNABLE_TYPES.map((t) => [t, Choice])),
  strangers: StrangerPolicy,
} as { [K in (typeof TUNABLE_TYPES)[number]]: typeof Choice } & { strangers: typeof StrangerPolicy };

export const NotificationSettingsSchema = z.object(settingsShape).openapi("NotificationSettings");
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;

export const DEFAULT_SETTINGS: NotificationSettings = {
  ...(Object.fromEntries(TUNABLE_TYPES.map((t) => [t, "all"])) as Record<(typeof TUNABLE_TYPES)[number], "all">),
  strangers: "accept",
};

/** Any subset of the settings; unknown keys are refused. */
export const NotificationSettingsPatchSchema = z
  .strictObject(settingsShape)
  .partial()
  .openapi("NotificationSettingsPatch");

export const NotificationTypeSchema = z.enum(NOTIFICATION_TYPES).openapi("NotificationType");

const TYPES_HELP = `Comma-separated types to include (${NOTIFICATION_TYPES.join(", ")}); all when absent`;

export const NotificationsQuerySchema = PageQuerySchema.extend({
  types: z
    .string()
    .max(200)
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const parts = [...new Set(value.split(",").map((t) => t.trim()))];
      const known = new Set<string>(NOTIFICATION_TYPES);
      const unknown = parts.filter((t) => !known.has(t));
      if (unknown.length > 0 || parts.length === 0) {
        ctx.addIssue({ code: "custom", message: `unknown types: ${unknown.join(", ") || "(empty)"}` });
        return z.NEVER;
      }
      return parts as NotificationType[];
    })
    .openapi({ type: "string", description: TYPES_HELP, example: "like,follow" }),
  folder: z
    .enum(["main", "filtered"])
    .default("main")
    .openapi({ description: "`filtered`: what the stranger policy set aside" }),
});

export const PostTargetSchema = z
  .object({
    id: z.string(),
    thumbnail: z
      .union([z.string(), z.null()])
      .openapi({ description: "Signed, expiring URL of the first image at 150 px; null while it has none" }),
    thumbhash: z.union([z.string(), z.null()]),
  })
  .openapi("NotificationPost");

export const CommentTargetSchema = z
  .object({
    id: z.string(),
    excerpt: z.string().openapi({ description: "The comment's first 100 characters" }),
  })
  .openapi("NotificationComment");

export const LiveTargetSchema = z
  .object({
    id: z.string().openapi({ description: "For `GET /v1/live/{id}`" }),
    title: z.string(),
    status: z.enum(["created", "live", "ended"]).openapi({ description: "Now, not when the notification was made" }),
  })
  .openapi("NotificationLive");

export const NotificationGroupSchema = z
  .object({
    group_key: z.string().openapi({
      description: "Likes of one post and follows share a key within a window (hour buckets, at most 12 hours)",
    }),
    type: NotificationTypeSchema,
    actors: z.array(UserSummarySchema).openapi({ description: "The 3 most recent, newest first" }),
    actor_count: z.number().int(),
    post: z.union([PostTargetSchema, z.null()]),
    comment: z.union([CommentTargetSchema, z.null()]),
    live: z
      .union([LiveTargetSchema, z.null()])
      .openapi({ description: "The session a `live_started` notification is about; null for other types" }),
    text: z.union([z.string(), z.null()]).openapi({ description: "What a `system` or `moderation` notification says" }),
    latest_at: z.string(),
    most_recent_notification_id: z.string().openapi({ description: "For `POST /v1/notifications/read`" }),
    unread: z.boolean(),
  })
  .openapi("NotificationGroup");
export type NotificationGroup = z.infer<typeof NotificationGroupSchema>;

export const NotificationGroupPageSchema = z
  .object({ items: z.array(NotificationGroupSchema), next_cursor: z.string().nullable() })
  .openapi("NotificationGroupPage");

export const UnreadCountSchema = z
  .object({ count: z.number().int().openapi({ description: "Unread groups in the main list, exact up to 1,000" }) })
  .openapi("UnreadCount");

export const MarkReadSchema = z
  .strictObject({
    last_read_id: z.string().min(1).max(64).openapi({ description: "A `most_recent_notification_id` of yours" }),
  })
  // Not "MarkRead": chat's body for POST /v1/conversations/{id}/read has that name, and two
  // schemas under one name leave the document describing only one of them.
  .openapi("NotificationsMarkRead");

export const MarkerSchema = z
  .object({ last_read_id: z.union([z.string(), z.null()]), updated_at: z.union([z.string(), z.null()]) })
  .openapi("NotificationMarker");
