import { createRoute, z } from "@hono/zod-openapi";
import { PageQuerySchema } from "../../http/cursor";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, noBody, problems, responseHeaders } from "../../http/openapi";
import { isStaff } from "../../policy";
import { MessageSchema } from "../chat/chat.protocol";
import { UsernameParamSchema } from "../users/users.schema";
import {
  CreateHighlightSchema,
  CreateStorySchema,
  HighlightPageSchema,
  HighlightSchema,
  StoryIdParamSchema,
  StoryListSchema,
  StoryPageSchema,
  StoryReplySchema,
  StorySchema,
  StoryViewersSchema,
  TraySchema,
} from "./stories.schema";
import * as stories from "./stories.service";

const tags = ["stories"];
const signedIn = { security: bearerAuth, middleware: [requireAuth] };
const anyone = { security: [{}, ...bearerAuth], middleware: [optionalAuth] };

export const storyRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Post a story of one of your ready images; it is up for STORY_TTL_SECONDS (24 h), at most 20 at once",
      ...signedIn,
      request: { body: jsonBody(CreateStorySchema) },
      responses: {
        201: jsonContent(StorySchema, "The story"),
        ...problems("unauthorized", "validation_failed", "conflict"),
      },
    }),
    async (c) => c.json(await stories.createStory(c.var.platform, callerOf(c).userId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tray",
      tags,
      summary: "The story tray: your own entry, then followed accounts with live stories, unseen first, then newest",
      ...signedIn,
      responses: { 200: jsonContent(TraySchema, "The tray"), ...problems("unauthorized") },
    }),
    async (c) => c.json(await stories.tray(c.var.platform, callerOf(c).userId), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      tags,
      summary: "A story you may see (the author also after it expires)",
      ...signedIn,
      request: { params: StoryIdParamSchema },
      responses: { 200: jsonContent(StorySchema, "The story"), ...problems("unauthorized", "not_found") },
    }),
    async (c) => {
      const caller = callerOf(c);
      return c.json(
        await stories.getStory(c.var.platform, caller.userId, c.req.valid("param").id, isStaff(caller.role)),
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags,
      summary: "Delete your story (from trays, the archive and highlights)",
      ...signedIn,
      request: { params: StoryIdParamSchema, body: noBody },
      responses: { 204: { description: "Deleted" }, ...problems("unauthorized", "not_found", "validation_failed") },
    }),
    async (c) => {
      await stories.deleteStory(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/view",
      tags,
      summary: "Mark a story viewed: counted once per viewer, and seen in your tray",
      ...signedIn,
      request: { params: StoryIdParamSchema, body: noBody },
      responses: { 204: { description: "Recorded" }, ...problems("unauthorized", "not_found", "validation_failed") },
    }),
    async (c) => {
      await stories.viewStory(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/viewers",
      tags,
      summary: "Who viewed your story, newest first, with the view count (author only)",
      ...signedIn,
      request: { params: StoryIdParamSchema, query: PageQuerySchema },
      responses: {
        200: jsonContent(StoryViewersSchema, "One page of viewers"),
        ...problems("unauthorized", "not_found", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(
        await stories.storyViewers(c.var.platform, callerOf(c).userId, c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/reply",
      tags,
      summary: "Reply to a story: a message in your 1:1 with its author, referencing the story",
      ...signedIn,
      request: { params: StoryIdParamSchema, body: jsonBody(StoryReplySchema) },
      responses: {
        201: {
          ...jsonContent(z.object({ conversation_id: z.string(), message: MessageSchema }), "The message sent"),
          headers: responseHeaders.idempotentReplayed,
        },
        ...problems("unauthorized", "not_found", "conflict", "validation_failed", "rate_limited"),
      },
    }),
    async (c) => {
      const { duplicate, ...sent } = await stories.replyToStory(
        c.var.platform,
        callerOf(c).userId,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      if (duplicate) c.header("idempotent-replayed", "true");
      return c.json(sent, 201);
    },
  );

export const storiesOfUserRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/{username}/stories",
      tags,
      summary: "An account's live stories, oldest first; 404 where you may not see its content",
      ...anyone,
      request: { params: UsernameParamSchema },
      responses: {
        200: jsonContent(StoryListSchema, "The live stories you may see"),
        ...problems("not_found", "unauthorized"),
      },
    }),
    async (c) =>
      c.json(
        await stories.storiesOf(c.var.platform, c.get("caller")?.userId ?? null, c.req.valid("param").username),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{username}/highlights",
      tags,
      summary: "An account's highlights with the archived stories you may see, newest first",
      ...anyone,
      request: { params: UsernameParamSchema, query: PageQuerySchema },
      responses: {
        200: jsonContent(HighlightPageSchema, "One page of highlights"),
        ...problems("not_found", "unauthorized", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(
        await stories.highlightsOf(
          c.var.platform,
          c.get("caller")?.userId ?? null,
          c.req.valid("param").username,
          c.req.valid("query"),
        ),
        200,
      ),
  );

export const storyArchiveRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/stories/archive",
    tags,
    summary: "Your stories, live and expired, newest first",
    ...signedIn,
    request: { query: PageQuerySchema },
    responses: {
      200: jsonContent(StoryPageSchema, "One page of your stories"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) => c.json(await stories.archive(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
);

export const highlightRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Make a highlight of your stories (live or archived), in the order given",
      ...signedIn,
      request: { body: jsonBody(CreateHighlightSchema) },
      responses: {
        201: jsonContent(HighlightSchema, "The highlight"),
        ...problems("unauthorized", "validation_failed"),
      },
    }),
    async (c) => c.json(await stories.createHighlight(c.var.platform, callerOf(c).userId, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags,
      summary: "Delete one of your highlights (its stories stay in your archive)",
      ...signedIn,
      request: { params: StoryIdParamSchema, body: noBody },
      responses: { 204: { description: "Deleted" }, ...problems("unauthorized", "not_found", "validation_failed") },
    }),
    async (c) => {
      await stories.removeHighlight(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
