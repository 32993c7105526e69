import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { Link, useParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { useSession } from "../../api/session";
import { ago } from "../../lib/time";
import { forgetHosting } from "../../live/hosting";
import { IngestDetails } from "../../live/Ingest";
import { LivePlayer } from "../../live/Player";
import { type LiveComment, mergeComments, type PendingComment, useLiveRoom } from "../../live/room";
import { Avatar } from "../../ui/Avatar";
import { Button } from "../../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type Session = Schemas["LiveSession"];

const MAX_COMMENT = 300;

function StatusBadge({ status }: { status: Session["status"] }) {
  if (status === "live") {
    return <span className="rounded bg-red-700 px-1.5 py-0.5 text-xs font-bold tracking-wide text-white">LIVE</span>;
  }
  return (
    <span className="rounded bg-neutral-200 px-1.5 py-0.5 text-xs font-semibold text-neutral-800">
      {status === "ended" ? "Ended" : "Not started"}
    </span>
  );
}

/** Where there is no video (comments-only sessions): the host, large, on a warm gradient. */
function Stage({ session }: { session: Session }) {
  return (
    <div className="relative flex aspect-[16/7] w-full flex-col items-center justify-center gap-2 overflow-hidden bg-gradient-to-br from-fuchsia-800 via-red-700 to-amber-600 text-white sm:rounded-xl">
      <Avatar user={session.host} size="lg" />
      <p className="text-sm font-semibold drop-shadow">
        {session.status === "ended"
          ? "The live has ended"
          : session.playback
            ? "The video starts when the broadcast connects"
            : "Live chat · no video"}
      </p>
    </div>
  );
}

function CommentRow({
  comment,
  host,
  onPin,
  onRemove,
}: {
  comment: LiveComment;
  host: boolean;
  onPin: () => void;
  onRemove: () => void;
}) {
  return (
    <li className="group flex items-start gap-2 px-3 py-1.5 text-sm">
      <p className="min-w-0 flex-1 break-words">
        <Link href={`/u/${comment.user.username}`} className="mr-1.5 font-semibold text-neutral-900">
          {comment.user.username}
        </Link>
        <span className="text-neutral-900">{comment.body}</span>
      </p>
      {host ? (
        <span className="flex shrink-0 gap-1">
          <button
            type="button"
            onClick={onPin}
            className="rounded px-1.5 text-xs font-semibold text-blue-700 hover:bg-blue-50"
            aria-label={`Pin the comment by ${comment.user.username}`}
          >
            Pin
          </button>
          <button
            type="button"
            onClick={onRemove}
            className="rounded px-1.5 text-xs font-semibold text-red-700 hover:bg-red-50"
            aria-label={`Remove the comment by ${comment.user.username}`}
          >
            Remove
          </button>
        </span>
      ) : null}
    </li>
  );
}

function PendingRow({ pending, me, onDismiss }: { pending: PendingComment; me: string; onDismiss: () => void }) {
  return (
    <li className="px-3 py-1.5 text-sm">
      <p className={`break-words ${pending.failed ? "" : "opacity-60"}`}>
        <span className="mr-1.5 font-semibold">{me}</span>
        {pending.body}
        {pending.failed ? null : <span className="ml-2 text-xs text-neutral-700">Sending…</span>}
      </p>
      {pending.failed ? (
        <p className="mt-0.5 text-xs text-red-700">
          Not sent: {pending.failed}{" "}
          <button type="button" onClick={onDismiss} className="font-semibold underline">
            Dismiss
          </button>
        </p>
      ) : null}
    </li>
  );
}

/** Hearts: a button that sends one, and the session's total; a burst floats up when they arrive. */
function Hearts({
  total,
  burst,
  onHeart,
}: {
  total: number;
  burst: { id: number; count: number };
  onHeart: () => void;
}) {
  const floater = useRef<HTMLSpanElement>(null);
  // One float-up per burst of hearts (the Web Animations API: no stylesheet to add), skipped for
  // people who asked for less motion.
  useEffect(() => {
    const el = floater.current;
    if (!el || burst.count === 0 || typeof el.animate !== "function") return;
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
    el.animate(
      [
        { transform: "translate(-50%, 0) scale(0.8)", opacity: 1 },
        { transform: "translate(-50%, -48px) scale(1.3)", opacity: 0 },
      ],
      { duration: 900, easing: "ease-out" },
    );
  }, [burst]);
  return (
    <div className="relative">
      <span
        ref={floater}
        aria-hidden="true"
        className="pointer-events-none absolute -top-4 left-1/2 -translate-x-1/2 text-xl text-red-600 opacity-0"
      >
        ♥
      </span>
      <button
        type="button"
        onClick={onHeart}
        className="flex items-center gap-1 rounded-full border border-neutral-300 px-3 py-2 text-sm font-semibold text-neutral-900 hover:bg-neutral-100"
      >
        <span aria-hidden="true" className="text-red-600">
          ♥
        </span>
        <span className="sr-only">Send a heart</span>
        <span aria-hidden="true">{total > 0 ? total.toLocaleString() : ""}</span>
      </button>
    </div>
  );
}

/** Ending cannot be undone (the room closes for everyone), so it asks once more; Escape keeps going. */
function EndButton({ busy, onEnd }: { busy: boolean; onEnd: () => void }) {
  const [asking, setAsking] = useState(false);
  const box = useRef<HTMLFieldSetElement>(null);
  const returnFocus = useRef(false);
  // Focus follows the question: onto "End now" when it appears, back to "End live" after "Keep going".
  useEffect(() => {
    const buttons = box.current?.querySelectorAll("button");
    if (asking) buttons?.[buttons.length - 1]?.focus();
    else if (returnFocus.current) buttons?.[0]?.focus();
  }, [asking]);
  const cancel = () => {
    returnFocus.current = true;
    setAsking(false);
  };
  return (
    <fieldset
      ref={box}
      className="ml-auto flex min-w-0 flex-wrap items-center gap-2"
      onKeyDown={(event) => {
        if (event.key === "Escape" && asking) cancel();
      }}
    >
      {asking ? (
        <>
          <legend className="sr-only">End the live for everyone?</legend>
          <span aria-hidden="true" className="text-sm font-semibold text-neutral-900">
            End for everyone?
          </span>
          <Button variant="secondary" onClick={cancel}>
            Keep going
          </Button>
          <Button variant="danger" busy={busy} onClick={onEnd}>
            End now
          </Button>
        </>
      ) : (
        <Button variant="danger" onClick={() => setAsking(true)}>
          End live
        </Button>
      )}
    </fieldset>
  );
}

function CommentBox({
  onSend,
  disabled,
  reason,
}: {
  onSend: (body: string) => void;
  disabled: boolean;
  reason: string | null;
}) {
  const [body, setBody] = useState("");
  const id = useId();
  const trimmed = body.trim();
  return (
    <form
      className="flex min-w-0 flex-1 items-center gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        if (!trimmed || disabled) return;
        onSend(trimmed);
        setBody("");
      }}
    >
      <label htmlFor={id} className="sr-only">
        Add a comment
      </label>
      <input
        id={id}
        value={body}
        onChange={(event) => setBody(event.target.value)}
        maxLength={MAX_COMMENT}
        disabled={disabled}
        placeholder={reason ?? "Add a comment…"}
        autoComplete="off"
        enterKeyHint="send"
        className="min-w-0 flex-1 rounded-full border border-neutral-400 px-4 py-2 text-base text-neutral-900 placeholder:text-neutral-600 disabled:bg-neutral-100"
      />
      <Button type="submit" variant="ghost" disabled={disabled || !trimmed}>
        Send
      </Button>
    </form>
  );
}

/**
 * The comments beside a session. While it is live they come from the room (its last 50 on join,
 * then as they are sent); before the socket is ready, and after the end, from the stored replay,
 * oldest first. Both are keyed by id and ordered by the room's sequence, so they join cleanly.
 */
function useComments(id: string, roomComments: LiveComment[], roomReady: boolean, ended: boolean) {
  const history = useInfiniteQuery({
    queryKey: ["live", id, "comments"],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/live/{id}/comments", { params: { path: { id }, query: { cursor: pageParam, limit: 50 } } }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const stored = useMemo(() => history.data?.pages.flatMap((p) => p.items) ?? [], [history.data]);
  const comments = useMemo(() => {
    if (ended) return mergeComments(stored, roomComments);
    if (!roomReady) return stored;
    // A long session's replay page 1 is its oldest comments: beside the room's latest ones it
    // would leave a gap, so the room's list stands alone then.
    const lastStored = stored.at(-1)?.seq ?? 0;
    const firstLive = roomComments[0]?.seq ?? 0;
    return firstLive > lastStored + 1 ? roomComments : mergeComments(stored, roomComments);
  }, [stored, roomComments, roomReady, ended]);
  return { comments, history };
}

function LiveRoomView({ session }: { session: Session }) {
  const { user } = useSession();
  const client = useQueryClient();
  const isHost = user?.id === session.host.id;
  const endedInD1 = session.status === "ended";
  const room = useLiveRoom(session.id, !endedInD1, user?.id ?? null);
  const { state } = room;
  const ended = endedInD1 || state.connection === "ended";
  const { comments, history } = useComments(session.id, state.comments, state.connection === "open", ended);

  // The room said it ended (or refused a ticket as ended): read the session again for its end time.
  useEffect(() => {
    if (state.connection === "ended" && !endedInD1) {
      void client.invalidateQueries({ queryKey: ["live", session.id], exact: true });
      void client.invalidateQueries({ queryKey: ["live", "list"] });
      void client.invalidateQueries({ queryKey: ["live", session.id, "comments"] });
    }
  }, [state.connection, endedInD1, client, session.id]);

  const end = useMutation({
    mutationFn: async () => data(await api.POST("/v1/live/{id}/end", { params: { path: { id: session.id } } })),
    onSuccess: (next) => {
      forgetHosting(next.id);
      client.setQueryData(["live", next.id], next);
      void client.invalidateQueries({ queryKey: ["live", "list"] });
    },
  });
  const start = useMutation({
    mutationFn: async () => data(await api.POST("/v1/live/{id}/start", { params: { path: { id: session.id } } })),
    onSuccess: (next) => client.setQueryData(["live", next.id], next),
  });

  // New comments keep the list scrolled to the bottom, unless the reader scrolled up to read.
  const list = useRef<HTMLOListElement>(null);
  const pinnedToBottom = useRef(true);
  const count = comments.length + state.pending.length;
  useEffect(() => {
    const el = list.current;
    if (el && pinnedToBottom.current && count >= 0) el.scrollTop = el.scrollHeight;
  }, [count]);

  const commentsOffForMe = state.commentsOff && !isHost;
  const connecting = !ended && state.connection !== "open";
  const viewers = state.viewerCount ?? session.viewer_count;
  const showVideo = session.playback && session.status === "live" && !ended;
  const title = session.title || `${session.host.username}'s live`;

  return (
    <div className="space-y-3 sm:py-6">
      <header className="flex items-center gap-3 px-4 pt-3 sm:px-0 sm:pt-0">
        <Link href={`/u/${session.host.username}`} className="shrink-0">
          <Avatar user={session.host} />
          <span className="sr-only">{session.host.username}'s profile</span>
        </Link>
        <div className="min-w-0 flex-1">
          <div className="flex items-center gap-2">
            <Link href={`/u/${session.host.username}`} className="truncate font-semibold text-neutral-900">
              {session.host.username}
            </Link>
            <StatusBadge status={ended ? "ended" : session.status} />
          </div>
          <h1 className="truncate text-sm text-neutral-700">{title}</h1>
        </div>
        {!ended ? (
          <p className="shrink-0 text-sm text-neutral-700" data-testid="viewer-count">
            <svg
              viewBox="0 0 24 24"
              className="mr-1 inline h-4 w-4 align-[-3px]"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              aria-hidden="true"
            >
              <path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z" />
              <circle cx="12" cy="12" r="3" />
            </svg>
            {viewers === 1 ? "1 watching" : `${viewers.toLocaleString()} watching`}
          </p>
        ) : null}
      </header>

      {ended ? (
        <div role="status" className="mx-4 rounded-xl bg-neutral-900 px-4 py-6 text-center text-white sm:mx-0">
          <p className="text-lg font-semibold">This live has ended</p>
          {session.ended_at ? (
            <p className="mt-1 text-sm text-neutral-300">
              Ended <time dateTime={session.ended_at}>{ago(session.ended_at)}</time>. The comments are below.
            </p>
          ) : null}
          <Link href="/live" className="mt-3 inline-block text-sm font-semibold text-white underline">
            See who else is live
          </Link>
        </div>
      ) : showVideo && session.playback ? (
        <LivePlayer playback={session.playback} title={`Live video: ${title}`} />
      ) : (
        <Stage session={session} />
      )}

      {isHost && !ended ? (
        <div className="space-y-3 px-4 sm:px-0">
          {session.ingest && session.status === "created" ? <IngestDetails ingest={session.ingest} /> : null}
          {session.ingest && session.status === "live" ? (
            // Still at hand while live, for reconnecting the encoder, but folded away from the screen.
            <details className="text-sm">
              <summary className="cursor-pointer font-medium text-blue-700">Streaming software settings</summary>
              <div className="mt-2">
                <IngestDetails ingest={session.ingest} />
              </div>
            </details>
          ) : null}
          <div className="flex flex-wrap items-center gap-2">
            {session.status === "created" && !session.ingest && !session.playback ? (
              <Button busy={start.isPending} onClick={() => start.mutate()}>
                Start the live
              </Button>
            ) : null}
            {session.status === "created" && session.ingest ? (
              <p className="text-sm text-neutral-700">Waiting for your video…</p>
            ) : null}
            <Button
              variant="secondary"
              disabled={state.connection !== "open"}
              onClick={() => room.send({ type: "comments_off", off: !state.commentsOff })}
            >
              {state.commentsOff ? "Turn comments on" : "Turn comments off"}
            </Button>
            <EndButton busy={end.isPending} onEnd={() => end.mutate()} />
          </div>
          <ErrorMessage error={end.error ?? start.error} />
        </div>
      ) : null}

      <section aria-labelledby="live-comments-heading" className="border-neutral-200 sm:rounded-xl sm:border">
        <div className="flex items-center justify-between border-y border-neutral-200 px-4 py-2 sm:border-t-0">
          <h2 id="live-comments-heading" className="text-sm font-semibold">
            Comments
          </h2>
          {connecting ? (
            <p role="status" className="text-xs text-neutral-700">
              {state.connection === "removed"
                ? "You can't join this live."
                : state.connection === "unavailable"
                  ? "This live isn't available."
                  : state.connection === "reconnecting"
                    ? "Reconnecting…"
                    : "Connecting…"}
            </p>
          ) : null}
        </div>
        {state.pinned && !ended ? (
          <div className="flex items-start gap-2 border-b border-neutral-200 bg-amber-50 px-4 py-2 text-sm">
            <p className="min-w-0 flex-1 break-words">
              <span className="mr-1 text-xs font-semibold text-amber-900 uppercase">Pinned</span>
              <span className="mr-1.5 font-semibold">{state.pinned.user.username}</span>
              {state.pinned.body}
            </p>
            {isHost ? (
              <button
                type="button"
                onClick={() => room.send({ type: "pin", comment_id: null })}
                className="shrink-0 rounded px-1.5 text-xs font-semibold text-blue-700"
              >
                Unpin
              </button>
            ) : null}
          </div>
        ) : null}
        <ol
          ref={list}
          role="log"
          aria-live="polite"
          aria-label="Live comments"
          onScroll={(event) => {
            const el = event.currentTarget;
            pinnedToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
          className={`overflow-y-auto py-2 ${ended ? "max-h-96" : "h-72 sm:h-80"}`}
        >
          {comments.map((comment) => (
            <CommentRow
              key={comment.id}
              comment={comment}
              host={isHost && !ended}
              onPin={() => room.send({ type: "pin", comment_id: comment.id })}
              onRemove={() => room.send({ type: "remove", comment_id: comment.id })}
            />
          ))}
          {state.pending.map((pending) => (
            <PendingRow
              key={pending.client_id}
              pending={pending}
              me={user?.username ?? ""}
              onDismiss={() => room.dismiss(pending.client_id)}
            />
          ))}
        </ol>
        {comments.length === 0 && state.pending.length === 0 && !history.isPending ? (
          <p className="px-4 pb-3 text-center text-sm text-neutral-600">
            {ended ? "No one commented." : "No comments yet. Say hello!"}
          </p>
        ) : null}
        {ended ? (
          <LoadMore
            hasMore={history.hasNextPage}
            loading={history.isFetchingNextPage}
            onLoad={() => void history.fetchNextPage()}
            label="More comments"
          />
        ) : null}
        <ErrorMessage error={history.error} className="mx-4 mb-2" />
        {state.notice && !ended ? (
          <p role="alert" className="mx-4 mb-2 text-sm text-red-700">
            {state.notice}
          </p>
        ) : null}
        {!ended ? (
          <div className="flex items-center gap-2 border-t border-neutral-200 px-3 py-2">
            <CommentBox
              onSend={room.comment}
              disabled={commentsOffForMe || state.connection === "removed" || state.connection === "unavailable"}
              reason={commentsOffForMe ? "Comments are turned off" : null}
            />
            <Hearts
              total={state.hearts}
              burst={state.burst}
              onHeart={() => room.send({ type: "reaction", kind: "heart" })}
            />
          </div>
        ) : null}
      </section>
    </div>
  );
}

/** One live session: its video (where Stream is set up), live comments and hearts; the host's controls. */
export default function LiveScreen() {
  const { id = "" } = useParams<{ id: string }>();
  const { user } = useSession();
  const session = useQuery({
    queryKey: ["live", id],
    queryFn: async () => data(await api.GET("/v1/live/{id}", { params: { path: { id } } })),
    // A Stream session goes live when the host's video connects: the host's page checks for it.
    refetchInterval: (query) =>
      query.state.data?.status === "created" && query.state.data.host.id === user?.id ? 5_000 : false,
  });
  if (session.isPending) return <Spinner label="Loading the live session" />;
  if (session.isError) {
    return (
      <div className="px-4 py-6">
        <h1 className="sr-only">Live</h1>
        <EmptyState title="This live isn't available">
          It may have been removed, or only some people can watch it.{" "}
          <Link href="/live" className="font-semibold text-blue-700 underline">
            See who's live
          </Link>
        </EmptyState>
        <ErrorMessage error={session.error} />
      </div>
    );
  }
  // Keyed by session, so opening another live starts from an empty room, not this one's comments.
  return <LiveRoomView key={session.data.id} session={session.data} />;
}
