import { type InputHTMLAttributes, type TextareaHTMLAttributes, useId } from "react";

interface FieldProps {
  label: string;
  /** The server's (or the form's) words about this field, shown under it and announced. */
  error?: string | undefined;
  hint?: string;
}

const INPUT =
  "block w-full rounded-lg border px-3 py-2 text-base text-neutral-900 placeholder:text-neutral-500 aria-[invalid=true]:border-red-700";

export function TextField({
  label,
  error,
  hint,
  className = "",
  ...rest
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={`space-y-1 ${className}`}>
      <label htmlFor={id} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        className={`${INPUT} border-neutral-400`}
        {...rest}
      />
      <FieldNote id={`${id}-note`} error={error} hint={hint} />
    </div>
  );
}

export function TextArea({
  label,
  error,
  hint,
  className = "",
  ...rest
}: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className={`space-y-1 ${className}`}>
      <label htmlFor={id} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        className={`${INPUT} border-neutral-400`}
        {...rest}
      />
      <FieldNote id={`${id}-note`} error={error} hint={hint} />
    </div>
  );
}

function FieldNote({ id, error, hint }: { id: string; error?: string | undefined; hint?: string | undefined }) {
  if (error)
    return (
      <p id={id} className="text-sm text-red-700" role="alert">
        {error}
      </p>
    );
  if (hint)
    return (
      <p id={id} className="text-sm text-neutral-600">
        {hint}
      </p>
    );
  return null;
}
