import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  type FormEvent,
  type KeyboardEvent as ReactKeyboardEvent,
  type MouseEvent as ReactMouseEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useRef,
  useState,
} from "react";
import { preload } from "react-dom";
import { Link, useLocation, useParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { describeError } from "../../api/problem";
import { useSession } from "../../api/session";
import { ago } from "../../lib/time";
import { markTraySeen, TRAY_KEY, userStoriesKey, useStoryTray, useUserStories } from "../../stories/queries";
import { StoryRing } from "../../stories/StoryRing";
import { ViewersDialog } from "../../stories/ViewersDialog";
import { Spinner } from "../../ui/Feedback";
import { Icon } from "../../ui/Icon";

type Story = Schemas["Story"];

/** How long one story shows before the next (Instagram's is about 5 s). */
const STORY_MS = 5000;
/** A press longer than this is a hold (pause), not a tap (next/previous). */
const HOLD_MS = 250;
const TICK_MS = 50;
/** The viewer is at most about 480 px wide on a wide screen, the whole width on a phone. */
const SIZES = "(min-width: 640px) 480px, 100vw";
const srcSet = (urls: Story["media"]["urls"]) => `${urls.medium} 640w, ${urls.large} 1080w`;

/** /stories/:username: that account's live stories, full screen, one after another. */
export default function StoryViewerScreen() {
  const { username = "" } = useParams<{ username: string }>();
  const client = useQueryClient();
  const tray = useStoryTray();
  // The order of accounts is the tray's as it was when the viewer opened: the tray puts unseen
  // first, so reading it afresh mid-way would send someone back to an account just watched.
  const [order, setOrder] = useState<string[] | null>(null);
  useEffect(() => {
    if (order === null && tray.data) {
      setOrder(tray.data.items.filter((e) => e.story_count > 0).map((e) => e.user.username));
    }
  }, [order, tray.data]);
  // Leaving the viewer: the tray reads the server's view of what is seen.
  useEffect(() => () => void client.invalidateQueries({ queryKey: TRAY_KEY }), [client]);
  // A new account starts from its first story with fresh state.
  return <Viewer key={username} username={username} order={order ?? []} />;
}

function Viewer({ username, order }: { username: string; order: string[] }) {
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const { user } = useSession();
  const stories = useUserStories(username);
  const [index, setIndex] = useState(0);
  const [elapsed, setElapsed] = useState(0);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState(false);
  const [typing, setTyping] = useState(false);
  const [viewersOpen, setViewersOpen] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [loaded, setLoaded] = useState<string | null>(null);
  const [hidden, setHidden] = useState(typeof document !== "undefined" && document.hidden);
  const viewed = useRef(new Set<string>());
  const dialog = useRef<HTMLDivElement>(null);

  const items = stories.data?.items ?? [];
  const story: Story | undefined = items[Math.min(index, items.length - 1)];
  const own = story !== undefined && user !== null && story.author.id === user.id;
  const stopped = paused || held || typing || viewersOpen || confirmDelete || hidden || loaded !== story?.id;

  const close = useCallback(() => navigate("/"), [navigate]);

  /** The account after (or before) this one in the tray that has stories up. */
  const neighbour = useCallback(
    (step: 1 | -1): string | null => {
      const at = order.indexOf(username);
      return at < 0 ? null : (order[at + step] ?? null);
    },
    [order, username],
  );

  const next = useCallback(() => {
    setElapsed(0);
    if (index < items.length - 1) {
      setIndex(index + 1);
      return;
    }
    const after = neighbour(1);
    if (after) navigate(`/stories/${after}`, { replace: true });
    else close();
  }, [index, items.length, neighbour, navigate, close]);

  const previous = useCallback(() => {
    setElapsed(0);
    if (index > 0) {
      setIndex(index - 1);
      return;
    }
    const before = neighbour(-1);
    if (before) navigate(`/stories/${before}`, { replace: true });
  }, [index, neighbour, navigate]);

  // The clock: runs only while the image is on screen and nothing holds it.
  useEffect(() => {
    if (stopped) return;
    const timer = setInterval(() => setElapsed((ms) => ms + TICK_MS), TICK_MS);
    return () => clearInterval(timer);
  }, [stopped]);
  useEffect(() => {
    if (elapsed >= STORY_MS) next();
  }, [elapsed, next]);

  // The next story's image loads while this one shows, so moving on does not wait for it.
  // (the same srcset and sizes as the <img>, so the browser fetches the width it will show).
  const upcoming = items[index + 1]?.media.urls;
  if (upcoming) {
    preload(upcoming.large, { as: "image", imageSrcSet: srcSet(upcoming), imageSizes: SIZES });
  }

  useEffect(() => {
    const onVisibility = () => setHidden(document.hidden);
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, []);

  // Each story is marked seen once, when it shows; the tray's ring follows at the last one.
  useEffect(() => {
    if (!story || own || viewed.current.has(story.id)) return;
    viewed.current.add(story.id);
    const last = story.id === items[items.length - 1]?.id;
    void api
      .POST("/v1/stories/{id}/view", { params: { path: { id: story.id } } })
      .then((result) => {
        if (result.response.ok && last) markTraySeen(client, username);
      })
      .catch((error: unknown) => console.warn("marking a story seen failed", error));
  }, [story, own, items, client, username]);

  // Keyboard: arrows move, Escape closes, Space pauses (not while typing a reply).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
        if (event.key === "Escape" && target instanceof HTMLElement) target.blur();
        return;
      }
      if (confirmDelete && event.key === "Escape") setConfirmDelete(false);
      if (viewersOpen || confirmDelete) return;
      if (event.key === "ArrowRight") next();
      else if (event.key === "ArrowLeft") previous();
      else if (event.key === "Escape") close();
      else if (event.key === " " && !(target instanceof HTMLButtonElement)) {
        event.preventDefault();
        setPaused((p) => !p);
      } else return;
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [next, previous, close, viewersOpen, confirmDelete]);

  // Keep keyboard focus inside the viewer (it covers the whole app).
  useEffect(() => {
    dialog.current?.focus();
  }, []);
  const trapFocus = (event: ReactKeyboardEvent) => {
    if (event.key !== "Tab" || !dialog.current) return;
    const focusable = [
      ...dialog.current.querySelectorAll<HTMLElement>("a[href], button:not([disabled]), input, textarea"),
    ];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const remove = useMutation({
    mutationFn: async (id: string) => data(await api.DELETE("/v1/stories/{id}", { params: { path: { id } } })),
    onSuccess: (_answer, id) => {
      setConfirmDelete(false);
      const left = items.filter((s) => s.id !== id);
      client.setQueryData(userStoriesKey(username), { items: left });
      void client.invalidateQueries({ queryKey: ["stories"] });
      if (left.length === 0) close();
      else {
        setIndex(Math.min(index, left.length - 1));
        setElapsed(0);
      }
    },
  });

  // Tap halves: a short press moves; a long press pauses until released.
  const holdTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const wasHold = useRef(false);
  const pressProps = (go: () => void) => ({
    onPointerDown: () => {
      wasHold.current = false;
      holdTimer.current = setTimeout(() => {
        wasHold.current = true;
        setHeld(true);
      }, HOLD_MS);
    },
    onPointerUp: () => {
      if (holdTimer.current) clearTimeout(holdTimer.current);
      setHeld(false);
    },
    onPointerLeave: () => {
      if (holdTimer.current) clearTimeout(holdTimer.current);
      setHeld(false);
    },
    onClick: () => {
      if (wasHold.current) {
        wasHold.current = false;
        return;
      }
      go();
    },
    onContextMenu: (event: ReactMouseEvent) => event.preventDefault(),
  });

  const frame = (body: ReactNode) => (
    <div
      ref={dialog}
      role="dialog"
      aria-modal="true"
      aria-label={`Stories by ${username}`}
      tabIndex={-1}
      onKeyDown={trapFocus}
      className="fixed inset-0 z-50 flex items-center justify-center bg-neutral-950 text-white outline-none"
    >
      <h1 className="sr-only">Stories by {username}</h1>
      {body}
    </div>
  );

  if (stories.isPending) return frame(<Spinner label="Loading stories" />);
  if (!story) {
    return frame(
      <div className="space-y-4 px-6 text-center">
        <p className="text-lg font-semibold">
          {stories.error ? describeError(stories.error) : `${username} has no stories right now.`}
        </p>
        <Link href="/" className="inline-block rounded-lg bg-white px-4 py-2 text-sm font-semibold text-neutral-900">
          Back to home
        </Link>
      </div>,
    );
  }

  const progress = Math.min(1, elapsed / STORY_MS);
  const alt = story.media.alt_text || `Story by ${story.author.username}`;
  return frame(
    <div className="relative flex h-full w-full max-w-[calc(100vh*9/16)] flex-col sm:h-[calc(100vh-2rem)] sm:overflow-hidden sm:rounded-2xl">
      {/* Progress: one bar per story. */}
      <div className="absolute inset-x-0 top-0 z-10 bg-linear-to-b from-black/70 to-transparent px-3 pt-3 pb-8">
        <div className="flex gap-1" aria-hidden="true" data-testid="story-progress">
          {items.map((s, i) => (
            <span key={s.id} className="h-0.5 flex-1 overflow-hidden rounded-full bg-white/40">
              <span
                className="block h-full bg-white"
                style={{ width: `${i < index ? 100 : i === index ? progress * 100 : 0}%` }}
              />
            </span>
          ))}
        </div>
        <p className="sr-only" aria-live="polite">
          Story {index + 1} of {items.length}
        </p>
        <div className="mt-3 flex items-center gap-2">
          <Link href={`/u/${story.author.username}`} className="flex min-w-0 items-center gap-2">
            <StoryRing user={story.author} unseen={false} size="h-8 w-8" />
            <span className="truncate text-sm font-semibold">{story.author.username}</span>
          </Link>
          <time dateTime={story.created_at} className="shrink-0 text-sm text-white/80">
            {ago(story.created_at)}
          </time>
          {story.audience === "close_friends" ? (
            <span className="shrink-0 rounded-full bg-green-700 px-2 text-xs font-semibold">Close friends</span>
          ) : null}
          <span className="ml-auto flex shrink-0 items-center gap-1">
            <button
              type="button"
              aria-pressed={paused}
              onClick={() => setPaused((p) => !p)}
              className="rounded-full p-2 hover:bg-white/10"
              aria-label={paused ? "Play" : "Pause"}
            >
              <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
                {paused ? <path d="M7 4v16l13-8z" /> : <path d="M6 4h4v16H6zm8 0h4v16h-4z" />}
              </svg>
            </button>
            <button
              type="button"
              onClick={close}
              className="rounded-full p-2 hover:bg-white/10"
              aria-label="Close stories"
            >
              <Icon
                name="close"
                className="h-6 w-6"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinecap="round"
              />
            </button>
          </span>
        </div>
      </div>

      <div className="relative flex min-h-0 flex-1 items-center justify-center bg-black">
        {loaded !== story.id ? (
          <span className="absolute">
            <Spinner label="Loading the story" />
          </span>
        ) : null}
        <img
          key={story.id}
          src={story.media.urls.large}
          srcSet={srcSet(story.media.urls)}
          sizes={SIZES}
          alt={alt}
          width={story.media.width ?? undefined}
          height={story.media.height ?? undefined}
          onLoad={() => setLoaded(story.id)}
          onError={() => setLoaded(story.id)}
          className="max-h-full max-w-full object-contain select-none"
          draggable={false}
        />
        {/* Tap zones: left half back, right half forward; hold either to pause. */}
        <button
          type="button"
          className="absolute inset-y-0 left-0 w-1/2 cursor-w-resize focus-visible:outline-offset-[-4px]"
          aria-label="Previous story"
          {...pressProps(previous)}
        />
        <button
          type="button"
          className="absolute inset-y-0 right-0 w-1/2 cursor-e-resize focus-visible:outline-offset-[-4px]"
          aria-label="Next story"
          {...pressProps(next)}
        />
        {story.caption ? (
          <p className="pointer-events-none absolute inset-x-0 bottom-4 mx-4 rounded-lg bg-black/60 px-3 py-2 text-center text-sm whitespace-pre-wrap">
            {story.caption}
          </p>
        ) : null}
        {paused ? (
          <span className="pointer-events-none absolute top-24 rounded-full bg-black/60 px-3 py-1 text-xs font-semibold">
            Paused
          </span>
        ) : null}
      </div>

      <div className="bg-neutral-950 px-3 py-3">
        {own ? (
          <OwnStoryBar
            story={story}
            confirming={confirmDelete}
            deleting={remove.isPending}
            error={remove.error}
            onViewers={() => setViewersOpen(true)}
            onDelete={() => setConfirmDelete(true)}
            onConfirm={() => remove.mutate(story.id)}
            onCancel={() => setConfirmDelete(false)}
          />
        ) : (
          <ReplyForm story={story} onTyping={setTyping} />
        )}
      </div>
      {viewersOpen ? <ViewersDialog storyId={story.id} onClose={() => setViewersOpen(false)} /> : null}
    </div>,
  );
}

function OwnStoryBar({
  story,
  confirming,
  deleting,
  error,
  onViewers,
  onDelete,
  onConfirm,
  onCancel,
}: {
  story: Story;
  confirming: boolean;
  deleting: boolean;
  error: unknown;
  onViewers: () => void;
  onDelete: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const views = story.view_count ?? 0;
  // The question takes focus (on Cancel, the safe answer) so a keyboard user answers it next.
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) cancel.current?.focus();
  }, [confirming]);
  if (confirming) {
    return (
      <div role="alertdialog" aria-labelledby={`delete-${story.id}`} className="space-y-2">
        <p id={`delete-${story.id}`} className="text-sm">
          Delete this story? It goes from trays, your archive and highlights.
        </p>
        <div className="flex gap-2">
          <button
            type="button"
            onClick={onConfirm}
            disabled={deleting}
            className="rounded-lg bg-red-700 px-4 py-2 text-sm font-semibold hover:bg-red-800 disabled:bg-red-900"
          >
            {deleting ? "Deleting…" : "Delete"}
          </button>
          <button
            ref={cancel}
            type="button"
            onClick={onCancel}
            className="rounded-lg border border-white/40 px-4 py-2 text-sm font-semibold hover:bg-white/10"
          >
            Cancel
          </button>
        </div>
        {error ? <p className="text-sm text-red-300">{describeError(error)}</p> : null}
      </div>
    );
  }
  return (
    <div className="flex items-center justify-between gap-2">
      <button
        type="button"
        onClick={onViewers}
        className="flex items-center gap-2 rounded-lg px-3 py-2 text-sm font-semibold hover:bg-white/10"
      >
        <svg
          viewBox="0 0 24 24"
          className="h-5 w-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          aria-hidden="true"
        >
          <path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z" />
          <circle cx="12" cy="12" r="3" />
        </svg>
        Viewers · {views}
      </button>
      <button
        type="button"
        onClick={onDelete}
        className="rounded-lg px-3 py-2 text-sm font-semibold text-red-300 hover:bg-white/10"
      >
        Delete story
      </button>
    </div>
  );
}

function ReplyForm({ story, onTyping }: { story: Story; onTyping: (typing: boolean) => void }) {
  const [body, setBody] = useState("");
  const [sent, setSent] = useState(false);
  const clientId = useRef(`r-${crypto.randomUUID()}`);
  const reply = useMutation({
    mutationFn: async (text: string) =>
      data(
        await api.POST("/v1/stories/{id}/reply", {
          params: { path: { id: story.id } },
          body: { body: text, client_id: clientId.current },
        }),
      ),
    onSuccess: () => {
      setBody("");
      setSent(true);
      clientId.current = `r-${crypto.randomUUID()}`;
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = body.trim();
    if (!text || reply.isPending) return;
    setSent(false);
    reply.mutate(text);
  };
  const inputId = `reply-${story.id}`;
  return (
    <form onSubmit={submit} className="space-y-2">
      <div className="flex items-center gap-2">
        <label htmlFor={inputId} className="sr-only">
          Reply to {story.author.username}
        </label>
        <input
          id={inputId}
          value={body}
          maxLength={2000}
          onChange={(event) => {
            setBody(event.target.value);
            setSent(false);
          }}
          onFocus={() => onTyping(true)}
          onBlur={() => onTyping(false)}
          placeholder={`Reply to ${story.author.username}…`}
          autoComplete="off"
          aria-invalid={reply.error ? true : undefined}
          aria-describedby={reply.error ? `${inputId}-error` : undefined}
          className="min-w-0 flex-1 rounded-full border border-white/50 bg-transparent px-4 py-2 text-base text-white placeholder:text-white/70"
        />
        <button
          type="submit"
          disabled={!body.trim() || reply.isPending}
          className="rounded-full px-3 py-2 text-sm font-semibold text-white hover:bg-white/10 disabled:text-white/50"
        >
          {reply.isPending ? "Sending…" : "Send"}
        </button>
      </div>
      {reply.error ? (
        <p id={`${inputId}-error`} role="alert" className="text-sm text-red-300">
          {describeError(reply.error)}
        </p>
      ) : null}
      <p role="status" className="text-sm text-green-300">
        {sent ? `Reply sent to ${story.author.username}.` : ""}
      </p>
    </form>
  );
}
