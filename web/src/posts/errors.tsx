import type { ReactNode } from "react";
import { Link } from "wouter";
import { ApiProblem, describeError } from "../api/problem";

/**
 * An error in plain words for the action that caused it. The server's `detail` is already written
 * for people on 4xx answers; a 5xx (or no answer at all) says only that something broke, so the
 * person is told what did not happen and that trying again is fine.
 */
export function plainError(error: unknown, action: string): string {
  if (error instanceof ApiProblem) {
    if (error.status === 0) return `Couldn't ${action}: ${error.message}`;
    if (error.status >= 500) return `Couldn't ${action}. Something went wrong on our side; try again.`;
    if (error.code === "rate_limited")
      return `Couldn't ${action}: you're doing that too often. Wait a minute and try again.`;
  }
  return `Couldn't ${action}: ${describeError(error)}`;
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiProblem && error.status === 404;

/** `plainError` shown next to the control that caused it, announced to screen readers. */
export function ActionError({ error, action, className = "" }: { error: unknown; action: string; className?: string }) {
  if (!error) return null;
  return (
    <p
      role="alert"
      className={`rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 ${className}`}
    >
      {plainError(error, action)}
    </p>
  );
}

/** The page for a thing that is not there, or not for this viewer: both look the same on purpose. */
export function Unavailable({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <section className="px-4 py-16 text-center">
      <h1 className="text-xl font-semibold">{title}</h1>
      <p className="mt-2 text-neutral-600">
        {children ?? "The link may be broken, or it may have been removed or made private."}
      </p>
      <Link href="/" className="mt-4 inline-block font-semibold text-blue-700 hover:underline">
        Go back to your feed
      </Link>
    </section>
  );
}
