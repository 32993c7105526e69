import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { ago } from "../lib/time";
import { Avatar } from "../ui/Avatar";
import { ErrorMessage } from "../ui/Feedback";
import { Icon } from "../ui/Icon";
import { Picture } from "../ui/Picture";
import { RichText } from "./Caption";
import { patchPost } from "./cache";

type Post = Schemas["Post"];

/**
 * A like shows at once and rolls back if the server refuses it (the count too). The server's
 * answer then sets the true count, which may include other people's likes meanwhile.
 */
export function useLike(post: Post) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (like: boolean) => {
      const params = { path: { id: post.id } };
      return data(
        await (like ? api.POST("/v1/posts/{id}/like", { params }) : api.DELETE("/v1/posts/{id}/like", { params })),
      );
    },
    onMutate: (like: boolean) => {
      const before = { liked: post.viewer?.liked ?? false, count: post.like_count };
      patchPost(client, post.id, (p) => ({
        ...p,
        like_count: p.like_count + (like ? 1 : -1),
        viewer: { saved: p.viewer?.saved ?? false, liked: like },
      }));
      return before;
    },
    onError: (_error, _like, before) => {
      if (!before) return;
      patchPost(client, post.id, (p) => ({
        ...p,
        like_count: before.count,
        viewer: { saved: p.viewer?.saved ?? false, liked: before.liked },
      }));
    },
    onSuccess: (state) =>
      patchPost(client, post.id, (p) => ({
        ...p,
        like_count: state.like_count,
        viewer: { saved: p.viewer?.saved ?? false, liked: state.liked },
      })),
  });
}

export function useSave(post: Post) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (save: boolean) => {
      const params = { path: { id: post.id } };
      return data(
        await (save ? api.POST("/v1/posts/{id}/save", { params }) : api.DELETE("/v1/posts/{id}/save", { params })),
      );
    },
    onMutate: (save: boolean) => {
      patchPost(client, post.id, (p) => ({ ...p, viewer: { liked: p.viewer?.liked ?? false, saved: save } }));
      return !save;
    },
    onError: (_e, _save, before) =>
      patchPost(client, post.id, (p) => ({
        ...p,
        viewer: { liked: p.viewer?.liked ?? false, saved: before ?? false },
      })),
  });
}

export function PostCard({ post, eager = false }: { post: Post; eager?: boolean }) {
  const like = useLike(post);
  const save = useSave(post);
  const [index, setIndex] = useState(0);
  const liked = post.viewer?.liked ?? false;
  const saved = post.viewer?.saved ?? false;
  const media = post.media[Math.min(index, post.media.length - 1)];
  return (
    <article
      className="border-b border-neutral-200 pb-4 sm:rounded-xl sm:border"
      aria-labelledby={`post-${post.id}-author`}
    >
      <header className="flex items-center gap-3 px-4 py-3">
        <Link href={`/u/${post.author.username}`} className="flex items-center gap-3">
          <Avatar user={post.author} size="sm" />
          <span id={`post-${post.id}-author`} className="font-semibold">
            {post.author.username}
          </span>
        </Link>
        <span className="text-sm text-neutral-600">
          · <time dateTime={post.created_at}>{ago(post.created_at)}</time>
        </span>
        {post.audience !== "public" ? (
          <span className="ml-auto rounded-full bg-neutral-100 px-2 text-xs text-neutral-700">
            {post.audience === "close_friends" ? "Close friends" : "Followers"}
          </span>
        ) : null}
      </header>
      {post.moderation ? (
        <p className="mx-4 mb-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Hidden by moderators: {post.moderation.reason}. Only you can see it.
        </p>
      ) : null}
      {media ? (
        <div className="relative">
          <Link href={`/p/${post.id}`} aria-label={`Open the post by ${post.author.username}`}>
            <Picture media={media} eager={eager} author={post.author.username} />
          </Link>
          {post.media.length > 1 ? (
            <div className="flex items-center justify-center gap-2 py-2">
              <button
                type="button"
                className="rounded px-2 text-sm text-blue-700 disabled:text-neutral-400"
                disabled={index === 0}
                onClick={() => setIndex(index - 1)}
              >
                Previous photo
              </button>
              <span className="text-sm text-neutral-700" aria-live="polite">
                {index + 1} of {post.media.length}
              </span>
              <button
                type="button"
                className="rounded px-2 text-sm text-blue-700 disabled:text-neutral-400"
                disabled={index >= post.media.length - 1}
                onClick={() => setIndex(index + 1)}
              >
                Next photo
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
      <div className="flex items-center gap-4 px-4 pt-3">
        <button
          type="button"
          aria-pressed={liked}
          aria-label={liked ? "Unlike" : "Like"}
          onClick={() => like.mutate(!liked)}
          className={`rounded-full p-1 ${liked ? "text-red-700" : "text-neutral-900"}`}
        >
          <Icon
            name="heart"
            className="h-7 w-7"
            fill={liked ? "currentColor" : "none"}
            stroke="currentColor"
            strokeWidth="2"
          />
        </button>
        <Link href={`/p/${post.id}`} aria-label="Comments" className="rounded-full p-1">
          <Icon name="comment" className="h-7 w-7" fill="none" stroke="currentColor" strokeWidth="2" />
        </Link>
        <button
          type="button"
          aria-pressed={saved}
          aria-label={saved ? "Remove from saved" : "Save"}
          onClick={() => save.mutate(!saved)}
          className="ml-auto rounded-full p-1"
        >
          <Icon
            name="bookmark"
            className="h-7 w-7"
            fill={saved ? "currentColor" : "none"}
            stroke="currentColor"
            strokeWidth="2"
          />
        </button>
      </div>
      <ErrorMessage error={like.error ?? save.error} className="mx-4 mt-2" />
      <div className="space-y-1 px-4 pt-2 text-sm">
        <p className="font-semibold" data-testid="like-count">
          {post.like_count === 0
            ? "Be the first to like this"
            : post.like_count === 1
              ? "1 like"
              : `${post.like_count.toLocaleString()} likes`}
        </p>
        {post.caption ? (
          <p className="whitespace-pre-wrap break-words">
            <Link href={`/u/${post.author.username}`} className="mr-1 font-semibold">
              {post.author.username}
            </Link>
            <RichText text={post.caption} />
          </p>
        ) : null}
        {post.location ? <p className="text-neutral-600">{post.location}</p> : null}
        {post.comment_count > 0 ? (
          <Link href={`/p/${post.id}`} className="block text-neutral-600 hover:underline">
            View {post.comment_count === 1 ? "1 comment" : `all ${post.comment_count} comments`}
          </Link>
        ) : null}
      </div>
    </article>
  );
}
