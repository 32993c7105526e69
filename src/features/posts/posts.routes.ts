import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { PageQuerySchema, pageOf } from "../../http/cursor";
import { callerOf, optionalAuth, requireAuth } from "../../http/middleware/auth";
import { bearerAuth, createRouter, jsonBody, jsonContent, noBody, problems, responseHeaders } from "../../http/openapi";
import { isStaff } from "../../policy";
import { UserPageSchema } from "../graph/graph.schema";
import { UsernameParamSchema } from "../users/users.schema";
import * as engagement from "./engagement.service";
import {
  CommentSchema,
  CreateCommentSchema,
  CreatePostSchema,
  LikeStateSchema,
  PostIdParamSchema,
  PostSchema,
  SaveStateSchema,
  UpdatePostSchema,
} from "./posts.schema";
import * as posts from "./posts.service";

const viewer = (c: Context<AppEnv>) => c.get("caller")?.userId ?? null;

const tags = ["posts"];
const PostPageSchema = pageOf(PostSchema).openapi("PostPage");
const CommentPageSchema = pageOf(CommentSchema).openapi("CommentPage");
const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: "A retry with the same key returns the first post and creates nothing" }),
});
const signedIn = { security: bearerAuth, middleware: [requireAuth] };
const anyone = { security: [{}, ...bearerAuth], middleware: [optionalAuth] };

function toggle(method: "post" | "delete", path: string, summary: string, schema: z.ZodType) {
  return createRoute({
    method,
    path,
    tags,
    summary,
    ...signedIn,
    request: { params: PostIdParamSchema, body: noBody },
    responses: {
      200: jsonContent(schema, "The new state"),
      ...problems("unauthorized", "not_found", "validation_failed"),
    },
  });
}

export const postRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Publish a post of 1-10 of your ready images",
      ...signedIn,
      request: { body: jsonBody(CreatePostSchema), headers: IdempotencyHeaderSchema },
      responses: {
        201: {
          ...jsonContent(PostSchema, "The post (also for a replayed Idempotency-Key)"),
          headers: responseHeaders.idempotentReplayed,
        },
        ...problems("unauthorized", "validation_failed", "conflict"),
      },
    }),
    async (c) => {
      const key = c.req.valid("header")["idempotency-key"];
      const { post, replayed } = await posts.createPost(c.var.platform, callerOf(c).userId, c.req.valid("json"), key);
      if (replayed) c.header("idempotent-replayed", "true");
      return c.json(post, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      tags,
      summary: "A post, if the caller may see it",
      ...anyone,
      request: { params: PostIdParamSchema },
      responses: { 200: jsonContent(PostSchema, "The post"), ...problems("not_found", "unauthorized") },
    }),
    async (c) =>
      c.json(
        await posts.getPost(c.var.platform, viewer(c), c.req.valid("param").id, isStaff(c.get("caller")?.role)),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      tags,
      summary: "Edit the caption (author only); tags are parsed again",
      ...signedIn,
      request: { params: PostIdParamSchema, body: jsonBody(UpdatePostSchema) },
      responses: {
        200: jsonContent(PostSchema, "The post"),
        ...problems("unauthorized", "not_found", "validation_failed"),
      },
    }),
    async (c) =>
      c.json(
        await posts.editCaption(
          c.var.platform,
          callerOf(c).userId,
          c.req.valid("param").id,
          c.req.valid("json").caption,
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags,
      summary: "Delete a post (author only): hidden at once, its likes, comments, saves and images cleaned up by a job",
      ...signedIn,
      request: { params: PostIdParamSchema, body: noBody },
      responses: { 204: { description: "Deleted" }, ...problems("unauthorized", "not_found") },
    }),
    async (c) => {
      await posts.deletePost(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(toggle("post", "/{id}/like", "Like (idempotent)", LikeStateSchema), async (c) =>
    c.json(await engagement.setLiked(c.var.platform, callerOf(c).userId, c.req.valid("param").id, true), 200),
  )
  .openapi(toggle("delete", "/{id}/like", "Unlike (idempotent)", LikeStateSchema), async (c) =>
    c.json(await engagement.setLiked(c.var.platform, callerOf(c).userId, c.req.valid("param").id, false), 200),
  )
  .openapi(toggle("post", "/{id}/save", "Save to your collection (idempotent)", SaveStateSchema), async (c) =>
    c.json(await engagement.setSavedState(c.var.platform, callerOf(c).userId, c.req.valid("param").id, true), 200),
  )
  .openapi(toggle("delete", "/{id}/save", "Remove from your saved posts", SaveStateSchema), async (c) =>
    c.json(await engagement.setSavedState(c.var.platform, callerOf(c).userId, c.req.valid("param").id, false), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/likes",
      tags,
      summary: "Who liked the post, newest first",
      ...anyone,
      request: { params: PostIdParamSchema, query: PageQuerySchema },
      responses: {
        200: jsonContent(UserPageSchema, "One page"),
        ...problems("not_found", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(
        await engagement.listLikers(c.var.platform, viewer(c), c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/comments",
      tags,
      summary: "Comment, or reply to a comment (one level deep)",
      description: "Limited to 30 comments a minute per account (429 with retry-after).",
      ...signedIn,
      request: { params: PostIdParamSchema, body: jsonBody(CreateCommentSchema) },
      responses: {
        201: jsonContent(CommentSchema, "The comment"),
        ...problems("unauthorized", "not_found", "validation_failed", "rate_limited"),
      },
    }),
    async (c) =>
      c.json(
        await engagement.createComment(
          c.var.platform,
          callerOf(c).userId,
          c.req.valid("param").id,
          c.req.valid("json"),
        ),
        201,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/comments",
      tags,
      summary: "Comments oldest first; with reply_to, the replies to that comment",
      ...anyone,
      request: {
        params: PostIdParamSchema,
        query: PageQuerySchema.extend({ reply_to: z.string().max(64).optional() }),
      },
      responses: {
        200: jsonContent(CommentPageSchema, "One page"),
        ...problems("not_found", "validation_failed", "invalid_cursor"),
      },
    }),
    async (c) =>
      c.json(
        await engagement.listComments(c.var.platform, viewer(c), c.req.valid("param").id, c.req.valid("query")),
        200,
      ),
  );

export const commentRoutes = createRouter().openapi(
  createRoute({
    method: "delete",
    path: "/{id}",
    tags,
    summary: "Delete a comment (its author, or the post's author) and its replies",
    ...signedIn,
    request: { params: PostIdParamSchema, body: noBody },
    responses: { 204: { description: "Deleted" }, ...problems("unauthorized", "not_found") },
  }),
  async (c) => {
    await engagement.removeComment(c.var.platform, callerOf(c).userId, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

export const postsOfUserRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/{username}/posts",
    tags,
    summary: "The profile grid, newest first, as far as the caller may see",
    ...anyone,
    request: { params: UsernameParamSchema, query: PageQuerySchema },
    responses: {
      200: jsonContent(PostPageSchema, "One page"),
      ...problems("not_found", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) =>
    c.json(
      await posts.listUserPosts(c.var.platform, viewer(c), c.req.valid("param").username, c.req.valid("query")),
      200,
    ),
);

export const savedRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/saved",
    tags,
    summary: "Your saved posts, newest save first",
    ...signedIn,
    request: { query: PageQuerySchema },
    responses: {
      200: jsonContent(PostPageSchema, "One page"),
      ...problems("unauthorized", "validation_failed", "invalid_cursor"),
    },
  }),
  async (c) => c.json(await engagement.listSaved(c.var.platform, callerOf(c).userId, c.req.valid("query")), 200),
);
