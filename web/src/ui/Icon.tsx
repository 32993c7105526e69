import type { SVGProps } from "react";

/** The app's icons (24 × 24 outlines), by name, so each shape is drawn in one place. */
const PATHS = {
  heart:
    "M12 21s-7.5-4.6-9.5-9.3C1.2 8.3 3.4 5 6.8 5c2 0 3.5 1.1 4.2 2.4h2C13.7 6.1 15.2 5 17.2 5c3.4 0 5.6 3.3 4.3 6.7C19.5 16.4 12 21 12 21z",
  comment: "M21 12a8 8 0 0 1-11.6 7.1L3 21l1.9-6.4A8 8 0 1 1 21 12z",
  bookmark: "M19 21l-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z",
  close: "M6 6l12 12M18 6 6 18",
  back: "M15 18l-6-6 6-6",
  carousel: "M7 3h12a2 2 0 0 1 2 2v12h-2V5H7zM3 7h12a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z",
} as const;

/** Decorative: the control around it carries the name (aria-label or text). */
export function Icon({ name, ...svg }: { name: keyof typeof PATHS } & SVGProps<SVGSVGElement>) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" {...svg}>
      <path d={PATHS[name]} />
    </svg>
  );
}
