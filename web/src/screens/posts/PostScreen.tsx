import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { ago } from "../../lib/time";
import { RichText } from "../../posts/Caption";
import { Carousel } from "../../posts/Carousel";
import { COMMENT_BOX_ID, Comments } from "../../posts/Comments";
import { ActionError, isNotFound, Unavailable } from "../../posts/errors";
import { LikersDialog } from "../../posts/LikersDialog";
import { CaptionEditor, PostMenu } from "../../posts/PostActions";
import { CommentIcon, LikeButton, SaveButton } from "../../posts/PostButtons";
import { useLike, useSave } from "../../posts/PostCard";
import { Avatar } from "../../ui/Avatar";
import { Spinner } from "../../ui/Feedback";

type Post = Schemas["Post"];

/** /p/:id — one post with its photos, likes and comments. */
export default function PostScreen() {
  const { id = "" } = useParams<{ id: string }>();
  const post = useQuery({
    queryKey: ["post", id],
    queryFn: async () => data(await api.GET("/v1/posts/{id}", { params: { path: { id } } })),
    retry: (count, error) => count < 2 && !isNotFound(error),
  });
  // Hidden, private, deleted or never there: the server answers 404 for each, and so does this page.
  if (isNotFound(post.error)) return <Unavailable title="This post isn't available" />;
  if (post.error) {
    return (
      <div className="p-4">
        <h1 className="sr-only">Post</h1>
        <ActionError error={post.error} action="load this post" />
      </div>
    );
  }
  if (!post.data) return <Spinner label="Loading the post" />;
  // Keyed by post so the photo index and an open caption edit do not carry over to the next post.
  return <PostView key={post.data.id} post={post.data} />;
}

function PostView({ post }: { post: Post }) {
  const like = useLike(post);
  const save = useSave(post);
  const [editing, setEditing] = useState(false);
  const [likers, setLikers] = useState(false);
  const liked = post.viewer?.liked ?? false;
  const saved = post.viewer?.saved ?? false;
  const iconButton = "rounded-full p-1 hover:bg-neutral-100";
  return (
    // On wide screens the post breaks out of the feed-width column into Instagram's two panes:
    // the photo on the left, the rest beside it with the comments scrolling on their own.
    <article className="bg-white sm:my-6 sm:overflow-hidden sm:rounded-xl sm:border sm:border-neutral-200 xl:ml-[calc((100%_-_var(--post-w))/2)] xl:grid xl:w-(--post-w) xl:grid-cols-[minmax(0,1fr)_24rem] xl:grid-rows-[auto_minmax(0,1fr)] xl:[--post-w:min(calc(100vw_-_18rem),64rem)]">
      <h1 className="sr-only">Post by {post.author.username}</h1>
      <header className="flex items-center gap-3 px-4 py-3 xl:col-start-2 xl:row-start-1 xl:border-b xl:border-neutral-200">
        <Link href={`/u/${post.author.username}`} className="flex min-w-0 items-center gap-3 rounded-lg">
          <Avatar user={post.author} size="sm" />
          <span className="truncate font-semibold">{post.author.username}</span>
        </Link>
        {post.audience !== "public" ? (
          <span className="rounded-full bg-neutral-100 px-2 text-xs text-neutral-700">
            {post.audience === "close_friends" ? "Close friends" : "Followers"}
          </span>
        ) : null}
        <PostMenu post={post} onEdit={() => setEditing(true)} />
      </header>
      <div className="xl:col-start-1 xl:row-span-2 xl:row-start-1 xl:flex xl:items-center xl:border-r xl:border-neutral-200 xl:bg-neutral-950">
        <div className="w-full">
          <Carousel media={post.media} author={post.author.username} />
        </div>
      </div>
      <div className="xl:relative xl:col-start-2 xl:row-start-2">
        <div className="xl:absolute xl:inset-0 xl:flex xl:flex-col xl:overflow-y-auto">
          {post.moderation ? (
            <p className="mx-4 my-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900">
              Hidden by moderators: {post.moderation.reason}. Only you can see it.
            </p>
          ) : null}
          <div className="flex items-center gap-3 px-3 pt-2">
            <LikeButton liked={liked} onToggle={() => like.mutate(!liked)} />
            <button
              type="button"
              aria-label="Comment"
              onClick={() => document.getElementById(COMMENT_BOX_ID)?.focus()}
              className={iconButton}
            >
              <CommentIcon />
            </button>
            <SaveButton saved={saved} onToggle={() => save.mutate(!saved)} className="ml-auto" />
          </div>
          <ActionError
            error={like.error}
            action={like.variables === false ? "unlike the post" : "like the post"}
            className="mx-4 mt-2"
          />
          <ActionError
            error={save.error}
            action={save.variables === false ? "unsave the post" : "save the post"}
            className="mx-4 mt-2"
          />
          <div className="space-y-2 px-4 pt-1 pb-3 text-sm">
            {post.like_count > 0 ? (
              <button
                type="button"
                onClick={() => setLikers(true)}
                aria-haspopup="dialog"
                className="rounded font-semibold hover:underline"
                data-testid="like-count"
              >
                {post.like_count === 1 ? "1 like" : `${post.like_count.toLocaleString()} likes`}
              </button>
            ) : (
              <p className="text-neutral-700" data-testid="like-count">
                0 likes
              </p>
            )}
            {editing ? (
              <CaptionEditor post={post} onDone={() => setEditing(false)} />
            ) : post.caption ? (
              <p className="break-words whitespace-pre-wrap">
                <Link href={`/u/${post.author.username}`} className="mr-1.5 font-semibold">
                  {post.author.username}
                </Link>
                <RichText text={post.caption} />
              </p>
            ) : null}
            {post.location ? <p className="text-neutral-600">{post.location}</p> : null}
            <p className="text-xs text-neutral-600 uppercase">
              <time dateTime={post.created_at} title={new Date(post.created_at).toLocaleString()}>
                {ago(post.created_at)}
              </time>
              {post.updated_at !== post.created_at ? " · edited" : null}
            </p>
          </div>
          <div className="border-t border-neutral-200 xl:flex xl:flex-1 xl:flex-col">
            <Comments post={post} />
          </div>
        </div>
      </div>
      {likers ? <LikersDialog postId={post.id} onClose={() => setLikers(false)} /> : null}
    </article>
  );
}
