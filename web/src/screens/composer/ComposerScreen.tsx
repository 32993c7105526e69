import { useQueryClient } from "@tanstack/react-query";
import { type DragEvent, useCallback, useEffect, useId, useRef, useState } from "react";
import { useLocation, useSearchParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { useSession } from "../../api/session";
import { ImageCard, PHOTO_DRAG } from "../../composer/ImageCard";
import { captionText, useCaptionJobs, useSuggestions } from "../../composer/suggestions";
import { ACCEPTED_TYPES } from "../../composer/upload";
import { MAX_IMAGES, type Upload, useUploads } from "../../composer/useUploads";
import { Button } from "../../ui/Button";
import { ErrorMessage } from "../../ui/Feedback";
import { TextArea, TextField } from "../../ui/Field";

type Mode = "post" | "story";
type PostAudience = NonNullable<Schemas["CreatePost"]["audience"]>;
type StoryAudience = NonNullable<Schemas["CreateStory"]["audience"]>;

/**
 * Caption limit: 2,200 characters for posts and stories alike (CreateStory `caption` maxLength;
 * CreatePost checks the same in a refinement the OpenAPI document cannot show; docs/security.md
 * D2). Counted in code points, as the server counts.
 */
const CAPTION_MAX = 2200;
/** CreatePost `location`: 1-100 characters. */
const LOCATION_MAX = 100;

const POST_AUDIENCES: { value: PostAudience; label: string; hint: string }[] = [
  { value: "public", label: "Public", hint: "Anyone can see it" },
  { value: "followers", label: "Followers", hint: "Only people who follow you" },
  { value: "close_friends", label: "Close friends", hint: "Only your close friends list" },
];
const STORY_AUDIENCES: { value: StoryAudience; label: string; hint: string }[] = [
  { value: "followers", label: "Followers", hint: "Whoever may see your posts" },
  { value: "close_friends", label: "Close friends", hint: "Only your close friends list" },
];

const length = (text: string) => [...text].length;

function newIdempotencyKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** Errors the server gave about particular images (422 `media_ids.N`, `alt_texts.N`, `media_id`). */
type ImageErrors = Record<string, { media?: string; alt?: string }>;

function imageErrors(error: unknown, order: Upload[]): { byKey: ImageErrors; shown: Set<string> } {
  const byKey: ImageErrors = {};
  const shown = new Set<string>();
  if (!(error instanceof ApiProblem)) return { byKey, shown };
  for (const { path, message } of error.errors) {
    const match = /^(media_ids|alt_texts)\.(\d+)/.exec(path);
    const item = match ? order[Number(match[2])] : path === "media_id" ? order[0] : undefined;
    if (!item) continue;
    const kind = match?.[1] === "alt_texts" ? "alt" : "media";
    byKey[item.key] = { ...byKey[item.key], [kind]: message };
    shown.add(path);
  }
  return { byKey, shown };
}

/**
 * New post (or story): pick photos, which upload at once with their own progress; order them,
 * describe each, write a caption (with AI suggestions when the server has a provider), choose who
 * sees it, and share. /new?story=1 opens in story mode.
 */
export default function ComposerScreen() {
  const [params] = useSearchParams();
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const { user } = useSession();
  const [mode, setMode] = useState<Mode>(params.get("story") === "1" ? "story" : "post");
  const limit = mode === "story" ? 1 : MAX_IMAGES;
  const uploads = useUploads(limit);
  const ai = useCaptionJobs();
  const [caption, setCaption] = useState("");
  const [location, setLocation] = useState("");
  const [audience, setAudience] = useState<PostAudience>("public");
  const [storyAudience, setStoryAudience] = useState<StoryAudience>("followers");
  const [dragging, setDragging] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const [errorsByKey, setErrorsByKey] = useState<ImageErrors>({});
  const [unplaced, setUnplaced] = useState<unknown>(null);
  const idempotencyKey = useRef(newIdempotencyKey());
  const inputId = useId();
  const captionCount = length(caption);
  const items = uploads.items;
  const tooMany = items.length > limit;
  const pending = items.filter((i) => i.phase !== "ready" && i.phase !== "failed").length;
  const failed = items.filter((i) => i.phase === "failed").length;
  const first = items.find((i) => i.phase === "ready" && i.media) ?? null;
  const firstId = first?.media?.id ?? null;

  // Suggestions are asked for once, for the first ready photo (the caption is the post's, and
  // the daily quota is small); other photos have a button for their alt text.
  const { start: startSuggestions, jobs: aiJobs, available: aiAvailable } = ai;
  const firstJob = firstId ? aiJobs[firstId] : undefined;
  useEffect(() => {
    if (firstId && aiAvailable && firstJob === undefined) void startSuggestions(firstId);
  }, [firstId, aiAvailable, firstJob, startSuggestions]);
  const captionIdeas = useSuggestions(firstId, aiAvailable && firstJob?.phase === "started");

  // Screen readers hear when each photo is ready or failed, not every percent.
  const phases = useRef(new Map<string, string>());
  useEffect(() => {
    items.forEach((item, i) => {
      const before = phases.current.get(item.key);
      if (before !== item.phase && (item.phase === "ready" || item.phase === "failed")) {
        setAnnouncement(`Photo ${i + 1} ${item.phase === "ready" ? "is ready" : "failed to upload"}.`);
      }
      phases.current.set(item.key, item.phase);
    });
  }, [items]);

  // After a move the button keeps focus (or its twin, once the photo reached an end).
  const [focusAfterMove, setFocusAfterMove] = useState<{ key: string; by: number } | null>(null);
  useEffect(() => {
    if (!focusAfterMove) return;
    const { key, by } = focusAfterMove;
    const same = document.getElementById(`move-${by < 0 ? "earlier" : "later"}-${key}`);
    const other = document.getElementById(`move-${by < 0 ? "later" : "earlier"}-${key}`);
    const target = same instanceof HTMLButtonElement && !same.disabled ? same : other;
    target?.focus();
    setFocusAfterMove(null);
  }, [focusAfterMove]);

  const move = (key: string, by: number) => {
    const from = items.findIndex((i) => i.key === key);
    uploads.move(key, by);
    setFocusAfterMove({ key, by });
    setAnnouncement(`Photo moved to position ${from + by + 1} of ${items.length}.`);
  };

  const onUnavailable = useCallback(() => ai.setAvailable(false), [ai.setAvailable]);

  const publish = useSubmit(async () => {
    setErrorsByKey({});
    setUnplaced(null);
    const order = [...items];
    try {
      if (mode === "story") {
        const media = order[0]?.media;
        if (!media) throw new ApiProblem(422, "validation_failed", "Pick a photo for your story.");
        await data(
          await api.POST("/v1/stories", {
            body: {
              media_id: media.id,
              audience: storyAudience,
              ...(caption.trim() ? { caption } : {}),
              ...(order[0]?.alt.trim() ? { alt_text: order[0].alt.trim() } : {}),
            },
          }),
        );
        await client.invalidateQueries({ queryKey: ["stories"] });
        navigate("/");
        return;
      }
      const post = await data(
        await api.POST("/v1/posts", {
          params: { header: { "idempotency-key": idempotencyKey.current } },
          body: {
            media_ids: order.flatMap((i) => (i.media ? [i.media.id] : [])),
            // An empty one is stored empty (the screens then name the author instead): a stand-in
            // written into the post would read as the author's own description.
            alt_texts: order.map((i) => i.alt.trim()),
            ...(caption.trim() ? { caption } : {}),
            ...(location.trim() ? { location: location.trim() } : {}),
            audience,
          },
        }),
      );
      // The feed and the author's own lists now have a new post.
      await client.invalidateQueries({
        predicate: (query) => query.queryKey[0] === "feed" || (user !== null && query.queryKey.includes(user.username)),
      });
      uploads.clear();
      navigate(`/p/${post.id}`);
    } catch (error) {
      // A refusal (4xx) stored nothing, so the next try is a new request; after a network fault or
      // a 5xx the post may exist, and the same key then answers it instead of posting twice.
      if (error instanceof ApiProblem && error.status >= 400 && error.status < 500) {
        idempotencyKey.current = newIdempotencyKey();
      }
      const { byKey, shown } = imageErrors(error, order);
      setErrorsByKey(byKey);
      // A problem naming only image fields is shown beside the images; say so at the button too.
      if (error instanceof ApiProblem && error.errors.length > 0) {
        const fields = ["caption", "location", "audience"];
        const rest = error.errors.filter((e) => !shown.has(e.path) && !fields.some((f) => e.path.startsWith(f)));
        if (rest.length > 0 || shown.size > 0) setUnplaced(error);
      }
      throw error;
    }
  });

  const onFiles = (files: FileList | null) => {
    if (!files) return;
    uploads.add(files);
  };

  const dropZone = {
    onDragOver: (event: DragEvent) => {
      if (!event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      setDragging(true);
    },
    onDragLeave: (event: DragEvent) => {
      if (event.currentTarget.contains(event.relatedTarget as Node | null)) return;
      setDragging(false);
    },
    onDrop: (event: DragEvent) => {
      if (event.dataTransfer.types.includes(PHOTO_DRAG)) return;
      event.preventDefault();
      setDragging(false);
      onFiles(event.dataTransfer.files);
    },
  };

  const canShare = items.length > 0 && !tooMany && pending === 0 && failed === 0 && captionCount <= CAPTION_MAX;
  const waiting =
    items.length === 0
      ? mode === "story"
        ? "Pick a photo to share."
        : "Pick at least one photo to share."
      : tooMany
        ? `A story has one photo: remove ${items.length - 1 === 1 ? "1 photo" : `${items.length - 1} photos`}.`
        : pending > 0
          ? `Waiting for ${pending === 1 ? "1 photo" : `${pending} photos`} to finish uploading…`
          : failed > 0
            ? `Remove or retry ${failed === 1 ? "the photo" : "the photos"} that failed.`
            : captionCount > CAPTION_MAX
              ? "The caption is too long."
              : null;
  const ideas = captionIdeas.data?.status === "ready" ? captionIdeas.data.suggestions : [];

  return (
    // The whole composer takes dropped files (a drop anywhere else would open the file in the tab).
    <form
      className="space-y-6 px-4 py-4 sm:py-8"
      onSubmit={(event) => void publish.submit(event)}
      noValidate
      {...dropZone}
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight">{mode === "story" ? "New story" : "New post"}</h1>
        <fieldset className="inline-flex rounded-full bg-neutral-100 p-1">
          <legend className="sr-only">Share as</legend>
          {(["post", "story"] as const).map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={mode === m}
              onClick={() => setMode(m)}
              className={`rounded-full px-4 py-1.5 text-sm font-semibold ${mode === m ? "bg-neutral-900 text-white" : "text-neutral-800 hover:bg-neutral-200"}`}
            >
              {m === "post" ? "Post" : "Story"}
            </button>
          ))}
        </fieldset>
      </div>

      <section aria-labelledby={`${inputId}-photos`} className="space-y-3">
        <h2 id={`${inputId}-photos`} className="sr-only">
          Photos
        </h2>
        {items.length >= limit ? (
          <p className="text-sm text-neutral-600">
            {mode === "story"
              ? "A story has one photo. Remove it to pick another."
              : `That's the most a post can have (${MAX_IMAGES}). Remove one to pick another.`}
          </p>
        ) : (
          <div
            className={`flex flex-col items-center justify-center gap-2 rounded-xl border-2 border-dashed px-4 text-center transition-colors ${items.length > 0 ? "py-4" : "py-10"} ${dragging ? "border-blue-700 bg-blue-50" : "border-neutral-300 bg-neutral-50"}`}
            data-testid="drop-zone"
          >
            <svg
              viewBox="0 0 24 24"
              className={`h-10 w-10 text-neutral-600 ${items.length > 0 ? "hidden" : ""}`}
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
              aria-hidden="true"
            >
              <path
                d="M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm0 11 5-5 4 4 3-3 4 4M15 9.5a1.5 1.5 0 1 0 0-.01"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
            <input
              id={inputId}
              type="file"
              accept={`image/*,${ACCEPTED_TYPES.join(",")}`}
              multiple={mode === "post"}
              className="peer sr-only"
              onChange={(event) => {
                onFiles(event.target.files);
                // The same file can be picked again after it was removed.
                event.target.value = "";
              }}
            />
            <label
              htmlFor={inputId}
              className="cursor-pointer rounded-lg bg-blue-700 px-4 py-2 text-sm font-semibold text-white peer-focus-visible:outline-3 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-blue-700 hover:bg-blue-800"
            >
              {mode === "story" ? "Choose a photo" : items.length > 0 ? "Add more photos" : "Choose photos"}
            </label>
            <p className="text-sm text-neutral-600">
              {mode === "story"
                ? "or drag one here"
                : `or drag them here · up to ${MAX_IMAGES}${items.length > 0 ? ` (${items.length} picked)` : ""}`}
            </p>
          </div>
        )}
        {uploads.notice ? (
          <p role="alert" className="text-sm text-amber-900">
            {uploads.notice}
          </p>
        ) : null}
        {items.length > 0 ? (
          <ol className="space-y-3" aria-label="Picked photos, in the order they will appear">
            {items.map((item, index) => (
              <ImageCard
                key={item.key}
                item={
                  errorsByKey[item.key]?.media
                    ? {
                        ...item,
                        error: new ApiProblem(422, "validation_failed", errorsByKey[item.key]?.media ?? ""),
                      }
                    : item
                }
                index={index}
                count={items.length}
                altError={errorsByKey[item.key]?.alt}
                aiAvailable={ai.available}
                aiJob={item.media ? ai.jobs[item.media.id] : undefined}
                onAlt={(alt) => uploads.setAlt(item.key, alt)}
                onMove={(by) => move(item.key, by)}
                onRemove={() => uploads.remove(item.key)}
                onRetry={() => uploads.retry(item.key)}
                onDropOn={(dragged) => uploads.moveTo(dragged, item.key)}
                onSuggest={() => {
                  if (item.media) void ai.start(item.media.id);
                }}
                onUnavailable={onUnavailable}
              />
            ))}
          </ol>
        ) : null}
        <p className="sr-only" aria-live="polite">
          {announcement}
        </p>
      </section>

      <div className="space-y-2">
        <TextArea
          label="Caption"
          rows={4}
          value={caption}
          onChange={(event) => setCaption(event.target.value)}
          error={publish.fieldError("caption")}
          hint={`${captionCount.toLocaleString()} / ${CAPTION_MAX.toLocaleString()} characters`}
          placeholder="Write a caption… #tags and @mentions work"
        />
        {captionCount > CAPTION_MAX ? (
          <p className="text-sm text-red-700">
            {(captionCount - CAPTION_MAX).toLocaleString()} characters over the limit.
          </p>
        ) : null}
        {ai.available && mode === "post" && ideas.length > 0 ? (
          <div className="space-y-2" data-testid="caption-suggestions">
            <p className="text-sm font-semibold text-neutral-800">Suggested captions</p>
            <ul className="space-y-2">
              {ideas.map((idea) => {
                const text = captionText(idea);
                return (
                  <li key={text}>
                    <button
                      type="button"
                      onClick={() => setCaption(text)}
                      className="block w-full rounded-lg border border-blue-200 bg-blue-50 px-3 py-2 text-left text-sm text-blue-900 hover:bg-blue-100"
                    >
                      <span className="sr-only">Use caption: </span>
                      {text}
                    </button>
                  </li>
                );
              })}
            </ul>
          </div>
        ) : ai.available &&
          mode === "post" &&
          firstJob?.phase === "started" &&
          captionIdeas.data?.status === "pending" ? (
          <p className="text-sm text-neutral-600" role="status">
            Writing caption suggestions…
          </p>
        ) : null}
      </div>

      {mode === "post" ? (
        <TextField
          label="Location"
          value={location}
          maxLength={LOCATION_MAX}
          onChange={(event) => setLocation(event.target.value)}
          error={publish.fieldError("location")}
          placeholder="Add a place (optional)"
          autoComplete="off"
        />
      ) : null}

      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-neutral-800">Who can see it</legend>
        <div className="grid gap-2 sm:grid-cols-3">
          {(mode === "post" ? POST_AUDIENCES : STORY_AUDIENCES).map((option) => {
            const checked = mode === "post" ? audience === option.value : storyAudience === option.value;
            return (
              <label
                key={option.value}
                className={`flex cursor-pointer gap-2 rounded-lg border px-3 py-2 has-focus-visible:outline-3 has-focus-visible:outline-offset-2 has-focus-visible:outline-blue-700 ${checked ? "border-blue-700 bg-blue-50" : "border-neutral-300"}`}
              >
                <input
                  type="radio"
                  name="audience"
                  value={option.value}
                  checked={checked}
                  onChange={() => {
                    if (mode === "post") setAudience(option.value as PostAudience);
                    else setStoryAudience(option.value as StoryAudience);
                  }}
                  className="mt-1 accent-blue-700"
                />
                <span>
                  <span className="block text-sm font-semibold">{option.label}</span>
                  <span className="block text-xs text-neutral-600">{option.hint}</span>
                </span>
              </label>
            );
          })}
        </div>
        {publish.fieldError("audience") ? (
          <p className="text-sm text-red-700" role="alert">
            {publish.fieldError("audience")}
          </p>
        ) : null}
      </fieldset>

      <div className="space-y-2 border-t border-neutral-200 pt-4">
        <ErrorMessage error={publish.formError ?? unplaced} />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" busy={publish.busy} disabled={!canShare} className="px-6">
            {publish.busy ? "Sharing…" : mode === "story" ? "Share to your story" : "Share"}
          </Button>
          {waiting ? <p className="text-sm text-neutral-600">{waiting}</p> : null}
        </div>
      </div>
    </form>
  );
}
