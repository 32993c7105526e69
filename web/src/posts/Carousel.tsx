import { type KeyboardEvent, useState } from "react";
import type { Schemas } from "../api/client";
import { Picture } from "../ui/Picture";

type Media = Schemas["PostMedia"];

const arrow = (d: string) => (
  <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2.5" aria-hidden="true">
    <path d={d} strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);

/**
 * A post's photos, one at a time: Previous/Next buttons and position dots over the photo, and the
 * left/right arrow keys while the carousel has focus. The position is announced politely.
 */
export function Carousel({
  media,
  author,
  eager = true,
  sizes = "(min-width: 640px) 640px, 100vw",
}: {
  media: Media[];
  author: string;
  /** Load the first photo at once (the first post of a feed, a post's own page). */
  eager?: boolean;
  sizes?: string;
}) {
  const [index, setIndex] = useState(0);
  const count = media.length;
  const current = media[Math.min(index, count - 1)];
  if (!current) return null;
  if (count === 1) return <Picture media={current} eager={eager} sizes={sizes} author={author} />;
  const go = (next: number) => setIndex(Math.max(0, Math.min(count - 1, next)));
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowLeft") go(index - 1);
    else if (event.key === "ArrowRight") go(index + 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(count - 1);
    else return;
    event.preventDefault();
  };
  const control =
    "absolute top-1/2 -translate-y-1/2 rounded-full bg-white/90 p-1.5 text-neutral-900 shadow disabled:hidden";
  return (
    <section
      aria-roledescription="carousel"
      aria-label={`Photos by ${author}. Use the left and right arrow keys to move between them`}
      // Focusable so the arrow keys work without first reaching a button.
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a carousel region takes arrow keys (WAI-ARIA carousel pattern).
      tabIndex={0}
      onKeyDown={onKeyDown}
      className="relative"
    >
      <Picture key={current.id} media={current} eager={eager && index === 0} sizes={sizes} author={author} />
      <button type="button" className={`${control} left-2`} disabled={index === 0} onClick={() => go(index - 1)}>
        {arrow("M15 18l-6-6 6-6")}
        <span className="sr-only">Previous photo</span>
      </button>
      <button
        type="button"
        className={`${control} right-2`}
        disabled={index >= count - 1}
        onClick={() => go(index + 1)}
      >
        {arrow("M9 18l6-6-6-6")}
        <span className="sr-only">Next photo</span>
      </button>
      <div className="absolute inset-x-0 bottom-3 flex justify-center gap-1.5" aria-hidden="true">
        {media.map((m, i) => (
          <span key={m.id} className={`h-1.5 w-1.5 rounded-full shadow ${i === index ? "bg-white" : "bg-white/50"}`} />
        ))}
      </div>
      <p className="sr-only" aria-live="polite">
        Photo {index + 1} of {count}
      </p>
    </section>
  );
}
