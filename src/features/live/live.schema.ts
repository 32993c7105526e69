import { z } from "@hono/zod-openapi";
import { userText } from "../../http/text";
import { UserSummarySchema } from "../users/user-summary";

export const LIVE_TITLE_MAX_CHARS = 100;

export const CreateLiveSchema = z
  .strictObject({
    title: userText()
      .refine((s) => [...s].length <= LIVE_TITLE_MAX_CHARS, `At most ${LIVE_TITLE_MAX_CHARS} characters`)
      .default(""),
    audience: z.enum(["public", "followers", "close_friends"]).optional().openapi({
      description: "Who may watch; default `public` (`followers` for a private account)",
    }),
  })
  .openapi("CreateLive");

export const LiveIdParamSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "01JD0000000000000000000000" }),
});

const IngestSchema = z
  .object({
    rtmps_url: z.union([z.string(), z.null()]),
    stream_key: z.union([z.string(), z.null()]),
    srt_url: z.union([z.string(), z.null()]),
    srt_stream_id: z.union([z.string(), z.null()]),
    srt_passphrase: z.union([z.string(), z.null()]),
    whip_url: z.union([z.string(), z.null()]),
  })
  .openapi("LiveIngest", { description: "Where the host's encoder sends video (the host only)" });

const PlaybackSchema = z
  .object({
    hls_url: z.union([z.string(), z.null()]),
    dash_url: z.union([z.string(), z.null()]),
    whep_url: z.union([z.string(), z.null()]),
  })
  .openapi("LivePlayback");

export const LiveSessionSchema = z
  .object({
    id: z.string(),
    host: UserSummarySchema,
    title: z.string(),
    audience: z.enum(["public", "followers", "close_friends"]),
    status: z.enum(["created", "live", "ended"]),
    viewer_count: z.number().int(),
    started_at: z.union([z.string(), z.null()]),
    ended_at: z.union([z.string(), z.null()]),
    ingest: z
      .union([IngestSchema, z.null()])
      .openapi({ description: "Null for viewers and for comments-only sessions" }),
    playback: z.union([PlaybackSchema, z.null()]).openapi({ description: "Null for comments-only sessions" }),
  })
  .openapi("LiveSession");
export type LiveSession = z.infer<typeof LiveSessionSchema>;

export const LiveListSchema = z.object({ items: z.array(LiveSessionSchema) }).openapi("LiveList");

/** Stream's live input webhook (`live_input.connected|disconnected|errored`). */
export const StreamWebhookSchema = z
  .object({
    name: z.string().optional(),
    text: z.string().optional(),
    data: z.object({
      notification_name: z.string().optional(),
      input_id: z.string().min(1).max(64),
      event_type: z.enum(["live_input.connected", "live_input.disconnected", "live_input.errored"]),
      updated_at: z.string().optional(),
    }),
  })
  .openapi("StreamLiveWebhook");
export type StreamWebhook = z.infer<typeof StreamWebhookSchema>;
