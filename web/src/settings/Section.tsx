import { type ReactNode, useId } from "react";
import { Link } from "wouter";

/**
 * One settings section: its title (the page's h1 on phones, where the section is the whole page;
 * on desktop the menu beside it is a nav, so the title stays the one h1), a back link to the menu
 * on phones, and its content.
 */
export function Section({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby="settings-section-title" className="space-y-6">
      <div className="space-y-1">
        <Link href="/" className="inline-flex items-center gap-1 text-sm font-semibold text-blue-700 md:hidden">
          <span aria-hidden="true">‹</span> Settings
        </Link>
        <h1 id="settings-section-title" className="text-xl font-bold">
          {title}
        </h1>
        {intro ? <p className="text-sm text-neutral-600">{intro}</p> : null}
      </div>
      {children}
    </section>
  );
}

/** A titled group of controls inside a section. */
export function Card({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="space-y-4 rounded-xl border border-neutral-200 p-4 sm:p-5">
      <h2 id={id} className="font-semibold text-neutral-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A short success note, announced politely. */
export function Done({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p role="status" className="rounded-lg bg-green-50 px-3 py-2 text-sm text-green-900">
      {children}
    </p>
  );
}
