import { useState } from "react";
import { ApiProblem } from "./problem";

/**
 * A form's submit state: busy while it runs, and the server's problem afterwards, so each field
 * can show the message the server gave for it (`fieldError("username")`) and the form the rest.
 */
export function useSubmit<T>(action: () => Promise<T>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(event?: { preventDefault(): void }): Promise<T | undefined> {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (path: string) => (error instanceof ApiProblem ? error.forField(path) : undefined);
  /** The problem unless a field already shows it. */
  const formError = error instanceof ApiProblem && error.errors.length > 0 ? null : error;
  return { submit, busy, error, fieldError, formError };
}
