import {
  type InfiniteData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQueryClient,
} from "@tanstack/react-query";
import { forwardRef, type ReactNode, useRef, useState } from "react";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { useSubmit } from "../api/forms";
import { useSession } from "../api/session";
import { ago } from "../lib/time";
import { Avatar } from "../ui/Avatar";
import { Button } from "../ui/Button";
import { EmptyState, Spinner } from "../ui/Feedback";
import { LoadMore } from "../ui/InfiniteList";
import { RichText } from "./Caption";
import { patchPost } from "./cache";
import { ActionError, plainError } from "./errors";
import { commentsKey, repliesKey, useLiveComments } from "./liveComments";
import { ReportDialog } from "./ReportDialog";

type Comment = Schemas["Comment"];
type Post = Schemas["Post"];
type Page = Schemas["CommentPage"];

/** The comment box's id, for the post's comment button to move focus to. */
export const COMMENT_BOX_ID = "add-comment";

/** One level of comments (top-level ones, or the replies to one), oldest first, page by page. */
function useCommentPages(postId: string, replyTo: string | null, enabled = true) {
  return useInfiniteQuery({
    queryKey: replyTo ? repliesKey(postId, replyTo) : commentsKey(postId),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/posts/{id}/comments", {
          params: {
            path: { id: postId },
            query: { cursor: pageParam, limit: 20, ...(replyTo ? { reply_to: replyTo } : {}) },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled,
  });
}

type Pages = InfiniteData<Page, string | undefined>;

function mapPages(client: QueryClient, key: readonly string[], map: (items: Comment[]) => Comment[]) {
  client.setQueryData<Pages>(key, (cached) =>
    cached ? { ...cached, pages: cached.pages.map((page) => ({ ...page, items: map(page.items) })) } : cached,
  );
}

/**
 * A new comment goes at the end of its list (lists are oldest first) when the list is loaded to
 * its end; otherwise the list is fetched again so the comment shows where the server puts it.
 */
function addToList(client: QueryClient, key: readonly string[], comment: Comment) {
  const cached = client.getQueryData<Pages>(key);
  const last = cached?.pages.at(-1);
  if (!cached || !last || last.next_cursor) {
    void client.invalidateQueries({ queryKey: key });
    return;
  }
  client.setQueryData<Pages>(key, {
    ...cached,
    pages: [...cached.pages.slice(0, -1), { ...last, items: [...last.items, comment] }],
  });
}

interface ReplyTarget {
  /** The top-level comment the reply hangs under (replies are one level deep). */
  parentId: string;
  username: string;
}

/** A post's comments with their replies, and the box to add one. */
export function Comments({ post }: { post: Post }) {
  const comments = useCommentPages(post.id, null);
  useLiveComments(post.id);
  const items = comments.data?.pages.flatMap((page) => page.items) ?? [];
  const [replyTo, setReplyTo] = useState<ReplyTarget | null>(null);
  const [openReplies, setOpenReplies] = useState<Set<string>>(new Set());
  const input = useRef<HTMLTextAreaElement>(null);
  const showReplies = (id: string) => setOpenReplies((open) => new Set(open).add(id));
  const startReply = (target: ReplyTarget) => {
    setReplyTo(target);
    input.current?.focus();
  };
  return (
    <section aria-labelledby="comments-heading" className="flex flex-1 flex-col">
      <h2 id="comments-heading" className="sr-only">
        Comments
      </h2>
      {comments.isPending ? <Spinner label="Loading comments" /> : null}
      <ActionError error={comments.error} action="load the comments" className="mx-4" />
      {comments.isSuccess && items.length === 0 ? (
        <EmptyState title="No comments yet">Start the conversation.</EmptyState>
      ) : null}
      <ul className="flex-1 space-y-1 py-2" data-testid="comments">
        {items.map((comment) => (
          <CommentItem
            key={comment.id}
            comment={comment}
            post={post}
            onReply={() => startReply({ parentId: comment.id, username: comment.author.username })}
          >
            {comment.reply_count > 0 ? (
              <Replies
                post={post}
                comment={comment}
                open={openReplies.has(comment.id)}
                onOpen={() => showReplies(comment.id)}
                onReply={(username) => startReply({ parentId: comment.id, username })}
              />
            ) : null}
          </CommentItem>
        ))}
      </ul>
      <LoadMore
        hasMore={comments.hasNextPage}
        loading={comments.isFetchingNextPage}
        onLoad={() => void comments.fetchNextPage()}
        label="Load more comments"
      />
      <CommentBox
        ref={input}
        post={post}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onPosted={(comment) => {
          if (comment.reply_to) showReplies(comment.reply_to);
          setReplyTo(null);
        }}
      />
    </section>
  );
}

function Replies({
  post,
  comment,
  open,
  onOpen,
  onReply,
}: {
  post: Post;
  comment: Comment;
  open: boolean;
  onOpen: () => void;
  onReply: (username: string) => void;
}) {
  const replies = useCommentPages(post.id, comment.id, open);
  const items = replies.data?.pages.flatMap((page) => page.items) ?? [];
  if (!open) {
    return (
      <button
        type="button"
        onClick={onOpen}
        className="mt-1 rounded text-xs font-semibold text-neutral-600 hover:underline"
      >
        — View {comment.reply_count === 1 ? "1 reply" : `${comment.reply_count} replies`}
      </button>
    );
  }
  return (
    <div className="mt-1">
      {replies.isPending ? <Spinner label="Loading replies" /> : null}
      <ActionError error={replies.error} action="load the replies" />
      <ul className="space-y-1" aria-label={`Replies to ${comment.author.username}`}>
        {items.map((reply) => (
          <CommentItem
            key={reply.id}
            comment={reply}
            post={post}
            onReply={() => onReply(reply.author.username)}
            nested
          />
        ))}
      </ul>
      {replies.hasNextPage ? (
        <button
          type="button"
          onClick={() => void replies.fetchNextPage()}
          className="mt-1 rounded text-xs font-semibold text-neutral-600 hover:underline"
        >
          {replies.isFetchingNextPage ? "Loading…" : "— View more replies"}
        </button>
      ) : null}
    </div>
  );
}

function CommentItem({
  comment,
  post,
  onReply,
  nested = false,
  children,
}: {
  comment: Comment;
  post: Post;
  onReply: () => void;
  nested?: boolean;
  children?: ReactNode;
}) {
  const { user } = useSession();
  const client = useQueryClient();
  const [reporting, setReporting] = useState(false);
  const mine = user?.id === comment.author.id;
  // The post's author may remove any comment on it, as on Instagram.
  const mayDelete = mine || user?.id === post.author.id;
  const remove = useMutation({
    mutationFn: async () => data(await api.DELETE("/v1/comments/{id}", { params: { path: { id: comment.id } } })),
    onSuccess: () => {
      const without = (items: Comment[]) => items.filter((c) => c.id !== comment.id);
      if (comment.reply_to) {
        mapPages(client, repliesKey(post.id, comment.reply_to), without);
        mapPages(client, commentsKey(post.id), (items) =>
          items.map((c) => (c.id === comment.reply_to ? { ...c, reply_count: Math.max(0, c.reply_count - 1) } : c)),
        );
      } else {
        mapPages(client, commentsKey(post.id), without);
      }
      patchPost(client, post.id, (p) => ({
        ...p,
        comment_count: Math.max(0, p.comment_count - 1 - (comment.reply_to ? 0 : comment.reply_count)),
      }));
    },
  });
  const action = "rounded text-xs font-semibold text-neutral-600 hover:underline";
  return (
    <li className={`flex gap-3 ${nested ? "py-1.5" : "px-4 py-2"}`}>
      <Link href={`/u/${comment.author.username}`} tabIndex={-1} aria-hidden="true" className="shrink-0">
        <Avatar user={comment.author} size="sm" />
      </Link>
      <div className="min-w-0 flex-1">
        <p className="text-sm break-words whitespace-pre-wrap">
          <Link href={`/u/${comment.author.username}`} className="mr-1.5 font-semibold">
            {comment.author.username}
          </Link>
          <RichText text={comment.body} />
        </p>
        {comment.moderation ? (
          <p className="mt-1 rounded bg-amber-50 px-2 py-1 text-xs text-amber-900">
            Hidden by moderators: {comment.moderation.reason}. Only you can see it.
          </p>
        ) : null}
        <div className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-neutral-600">
          <time dateTime={comment.created_at}>{ago(comment.created_at)}</time>
          <button type="button" className={action} onClick={onReply} aria-label={`Reply to ${comment.author.username}`}>
            Reply
          </button>
          {mayDelete ? (
            <button
              type="button"
              className={action}
              onClick={() => remove.mutate()}
              disabled={remove.isPending}
              aria-label={`Delete ${mine ? "your" : `${comment.author.username}'s`} comment`}
            >
              {remove.isPending ? "Deleting…" : "Delete"}
            </button>
          ) : null}
          {!mine ? (
            <button
              type="button"
              className={action}
              onClick={() => setReporting(true)}
              aria-label={`Report ${comment.author.username}'s comment`}
            >
              Report
            </button>
          ) : null}
        </div>
        <ActionError error={remove.error} action="delete the comment" className="mt-1" />
        {children}
      </div>
      {reporting ? (
        <ReportDialog target={{ type: "comment", id: comment.id }} what="comment" onClose={() => setReporting(false)} />
      ) : null}
    </li>
  );
}

const CommentBox = forwardRef<
  HTMLTextAreaElement,
  {
    post: Post;
    replyTo: ReplyTarget | null;
    onCancelReply: () => void;
    onPosted: (comment: Comment) => void;
  }
>(function CommentBox({ post, replyTo, onCancelReply, onPosted }, ref) {
  const client = useQueryClient();
  const [body, setBody] = useState("");
  // One comment box per page: the post's comment button focuses it by this id.
  const id = COMMENT_BOX_ID;
  const { submit, busy, fieldError, formError } = useSubmit(async () => {
    const comment = await data(
      await api.POST("/v1/posts/{id}/comments", {
        params: { path: { id: post.id } },
        body: { body, ...(replyTo ? { reply_to: replyTo.parentId } : {}) },
      }),
    );
    if (comment.reply_to) {
      addToList(client, repliesKey(post.id, comment.reply_to), comment);
      mapPages(client, commentsKey(post.id), (items) =>
        items.map((c) => (c.id === comment.reply_to ? { ...c, reply_count: c.reply_count + 1 } : c)),
      );
    } else {
      addToList(client, commentsKey(post.id), comment);
    }
    patchPost(client, post.id, (p) => ({ ...p, comment_count: p.comment_count + 1 }));
    setBody("");
    onPosted(comment);
  });
  const error =
    fieldError("body") ??
    fieldError("reply_to") ??
    (formError ? plainError(formError, "post your comment") : undefined);
  const label = replyTo ? `Reply to ${replyTo.username}` : "Add a comment";
  return (
    <form
      onSubmit={(event) => void submit(event)}
      className="sticky bottom-[49px] border-t border-neutral-200 bg-white px-4 py-3 sm:bottom-0"
    >
      {replyTo ? (
        <p className="mb-2 flex items-center justify-between text-sm text-neutral-700">
          <span>Replying to @{replyTo.username}</span>
          <button type="button" onClick={onCancelReply} className="rounded text-sm font-semibold text-blue-700">
            Cancel reply
          </button>
        </p>
      ) : null}
      <div className="flex items-end gap-2">
        <label htmlFor={id} className="sr-only">
          {label}
        </label>
        <textarea
          ref={ref}
          id={id}
          value={body}
          rows={1}
          maxLength={2200}
          placeholder={`${label}…`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => setBody(event.target.value)}
          onKeyDown={(event) => {
            // Enter posts, Shift+Enter makes a new line, as in every chat box.
            if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              if (body.trim()) void submit();
            }
          }}
          className="block max-h-32 min-h-10 flex-1 resize-none rounded-lg border border-neutral-400 px-3 py-2 text-base placeholder:text-neutral-500 aria-[invalid=true]:border-red-700"
        />
        <Button type="submit" variant="ghost" busy={busy} disabled={!body.trim()}>
          Post
        </Button>
      </div>
      {error ? (
        <p id={`${id}-error`} role="alert" className="mt-1 text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </form>
  );
});
