import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from "react";

interface FieldProps {
  label: string;
  /** The server's (or the form's) words about this field, shown under it and announced. */
  error?: string | undefined;
  hint?: string;
}

const INPUT =
  "block w-full rounded-lg border px-3 py-2 text-base text-neutral-900 placeholder:text-neutral-500 aria-[invalid=true]:border-red-700";

/** The props every control of a field gets: its id, its state and what describes it. */
interface ControlProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
  className: string;
}

/** A label, the control, and the field's note (its error, else its hint), tied together by ids. */
function Field({
  label,
  error,
  hint,
  className,
  control,
}: FieldProps & { className: string; control: (props: ControlProps) => ReactNode }) {
  const id = useId();
  return (
    <div className={`space-y-1 ${className}`}>
      <label htmlFor={id} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      {control({
        id,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": error || hint ? `${id}-note` : undefined,
        className: `${INPUT} border-neutral-400`,
      })}
      <FieldNote id={`${id}-note`} error={error} hint={hint} />
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  className = "",
  ...rest
}: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Field
      label={label}
      error={error}
      hint={hint}
      className={className}
      control={(props) => <input {...props} {...rest} />}
    />
  );
}

export function TextArea({
  label,
  error,
  hint,
  className = "",
  ...rest
}: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return (
    <Field
      label={label}
      error={error}
      hint={hint}
      className={className}
      control={(props) => <textarea {...props} {...rest} />}
    />
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
