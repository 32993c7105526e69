import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { ago } from "../lib/time";
import { Avatar } from "../ui/Avatar";
import { ErrorMessage } from "../ui/Feedback";
import { RichText } from "./Caption";
import { Carousel } from "./Carousel";
import { patchPost } from "./cache";
import { CommentIcon, LikeButton, SaveButton } from "./PostButtons";

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
  const liked = post.viewer?.liked ?? false;
  const saved = post.viewer?.saved ?? false;
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
      {post.media.length > 0 ? (
        <Carousel
          media={post.media}
          author={post.author.username}
          eager={eager}
          sizes="(min-width: 640px) 600px, 100vw"
        />
      ) : null}
      <div className="flex items-center gap-4 px-4 pt-3">
        <LikeButton liked={liked} onToggle={() => like.mutate(!liked)} />
        <Link href={`/p/${post.id}`} aria-label="Comments" className="rounded-full p-1 hover:bg-neutral-100">
          <CommentIcon />
        </Link>
        <SaveButton saved={saved} onToggle={() => save.mutate(!saved)} className="ml-auto" />
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
