import { type DragEvent, useEffect, useState } from "react";
import { describeError } from "../api/problem";
import { Button } from "../ui/Button";
import { TextArea } from "../ui/Field";
import { type JobState, useSuggestions } from "./suggestions";
import type { Upload } from "./useUploads";

/** Alt text's limit (CreatePost `alt_texts` items; docs/security.md D2: 1,000 characters). */
export const ALT_TEXT_MAX = 1000;

/** A drag between the composer's own thumbnails carries this type; a file drag carries "Files". */
export const PHOTO_DRAG = "application/x-edgegram-photo";

/**
 * A local preview of a picked file. The blob: URL is made in an effect and revoked in its cleanup,
 * so it lives exactly as long as the preview is on screen (StrictMode's remount makes a new one).
 */
function useObjectUrl(file: File): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => {
      URL.revokeObjectURL(made);
      setUrl(null);
    };
  }, [file]);
  return url;
}

const PHASE_TEXT = {
  starting: "Preparing…",
  uploading: "Uploading",
  processing: "Processing…",
  ready: "Ready",
  failed: "Upload failed",
} as const;

export function ImageCard({
  item,
  index,
  count,
  altError,
  aiAvailable,
  aiJob,
  onAlt,
  onMove,
  onRemove,
  onRetry,
  onDropOn,
  onSuggest,
  onUnavailable,
}: {
  item: Upload;
  index: number;
  count: number;
  altError: string | undefined;
  aiAvailable: boolean;
  /** This image's suggestion job, if one was asked for. */
  aiJob: JobState | undefined;
  onAlt: (alt: string) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
  onRetry: () => void;
  onDropOn: (draggedKey: string) => void;
  onSuggest: () => void;
  onUnavailable: () => void;
}) {
  const preview = useObjectUrl(item.file);
  const [over, setOver] = useState(false);
  const number = index + 1;
  const label = `photo ${number}`;
  const percent = Math.round(item.progress * 100);
  const ready = item.phase === "ready";
  const suggestions = useSuggestions(item.media?.id ?? null, aiAvailable && aiJob?.phase === "started" && ready);
  const suggestedAlt = suggestions.data?.status === "ready" ? suggestions.data.alt_text : null;
  // Nothing shows while the job is being asked for: a server without a provider answers 503, and
  // the suggestions then vanish without ever having appeared.
  const writing = aiJob?.phase === "started" && suggestions.data?.status === "pending";
  useEffect(() => {
    if (suggestions.data?.status === "unavailable") onUnavailable();
  }, [suggestions.data?.status, onUnavailable]);

  const dropProps = {
    onDragOver: (event: DragEvent) => {
      if (!event.dataTransfer.types.includes(PHOTO_DRAG)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      setOver(true);
    },
    onDragLeave: () => setOver(false),
    onDrop: (event: DragEvent) => {
      const dragged = event.dataTransfer.getData(PHOTO_DRAG);
      setOver(false);
      if (!dragged) return;
      event.preventDefault();
      event.stopPropagation();
      onDropOn(dragged);
    },
  };

  return (
    <li
      className={`rounded-xl border bg-white p-3 ${over ? "border-blue-700 ring-2 ring-blue-200" : "border-neutral-200"}`}
      data-testid="composer-image"
      {...dropProps}
    >
      <div className="flex gap-3">
        {/* biome-ignore lint/a11y/noStaticElementInteractions: dragging is the mouse's shortcut; the move buttons are the keyboard's way */}
        <div
          className="relative h-24 w-24 shrink-0 cursor-grab overflow-hidden rounded-lg bg-neutral-200 active:cursor-grabbing sm:h-28 sm:w-28"
          draggable={count > 1}
          onDragStart={(event) => {
            event.dataTransfer.setData(PHOTO_DRAG, item.key);
            event.dataTransfer.effectAllowed = "move";
          }}
        >
          {preview ? (
            <img
              src={preview}
              alt={item.alt.trim() ? `Preview: ${item.alt.trim()}` : `Preview of ${label}`}
              className="h-full w-full object-cover"
              draggable={false}
            />
          ) : null}
          <span className="absolute top-1 left-1 rounded-full bg-black/70 px-1.5 text-xs font-semibold text-white">
            {number}
          </span>
        </div>
        <div className="min-w-0 flex-1 space-y-2">
          <p className="truncate text-sm text-neutral-700" title={item.file.name}>
            {item.file.name}
          </p>
          <div className="flex items-center gap-2">
            <progress
              className="h-2 w-full max-w-48 overflow-hidden rounded-full accent-blue-700"
              max={100}
              value={item.phase === "processing" || item.phase === "starting" ? undefined : ready ? 100 : percent}
              aria-label={`Upload of ${label}`}
              data-testid="upload-progress"
            />
            <span
              className={`shrink-0 text-sm ${item.phase === "failed" ? "text-red-700" : ready ? "font-semibold text-green-800" : "text-neutral-700"}`}
              data-testid="upload-status"
            >
              {PHASE_TEXT[item.phase]}
              {item.phase === "uploading" ? ` ${percent}%` : ""}
            </span>
          </div>
          {item.error ? (
            <p role="alert" className="text-sm text-red-700">
              {describeError(item.error)}
            </p>
          ) : null}
          <div className="flex flex-wrap gap-1">
            {count > 1 ? (
              <>
                <Button
                  variant="ghost"
                  className="px-2 py-1"
                  disabled={index === 0}
                  onClick={() => onMove(-1)}
                  aria-label={`Move ${label} earlier`}
                  id={`move-earlier-${item.key}`}
                >
                  ← Earlier
                </Button>
                <Button
                  variant="ghost"
                  className="px-2 py-1"
                  disabled={index === count - 1}
                  onClick={() => onMove(1)}
                  aria-label={`Move ${label} later`}
                  id={`move-later-${item.key}`}
                >
                  Later →
                </Button>
              </>
            ) : null}
            {item.phase === "failed" ? (
              <Button variant="ghost" className="px-2 py-1" onClick={onRetry} aria-label={`Try ${label} again`}>
                Try again
              </Button>
            ) : null}
            <Button
              variant="ghost"
              className="px-2 py-1 text-red-700 hover:bg-red-50"
              onClick={onRemove}
              aria-label={`Remove ${label}`}
            >
              Remove
            </Button>
          </div>
        </div>
      </div>
      <div className="mt-3 space-y-2">
        <TextArea
          label={`Alt text for ${label}`}
          hint="Describe the photo for people who can't see it."
          rows={2}
          maxLength={ALT_TEXT_MAX}
          value={item.alt}
          error={altError}
          onChange={(event) => onAlt(event.target.value)}
        />
        {aiAvailable && ready ? (
          suggestedAlt ? (
            <button
              type="button"
              onClick={() => onAlt(suggestedAlt)}
              className="block w-full rounded-lg border border-blue-200 bg-blue-50 px-3 py-2 text-left text-sm text-blue-900 hover:bg-blue-100"
            >
              <span className="font-semibold">Use suggested alt text:</span> {suggestedAlt}
            </button>
          ) : writing ? (
            <p className="text-sm text-neutral-600" role="status">
              Suggesting alt text…
            </p>
          ) : suggestions.data?.status === "failed" ? (
            <p className="text-sm text-neutral-600">No suggestions for this photo right now.</p>
          ) : aiJob === undefined || aiJob.phase === "error" ? (
            <Button variant="ghost" className="px-2 py-1" onClick={onSuggest}>
              {aiJob ? "Ask for suggestions again" : "Suggest alt text"}
            </Button>
          ) : null
        ) : null}
        {aiJob?.phase === "error" ? (
          <p className="text-sm text-red-700" role="alert">
            {describeError(aiJob.error)}
          </p>
        ) : null}
      </div>
    </li>
  );
}
