/** An on/off switch: a real button with role="switch", so Space and Enter toggle it. */
export function Switch({
  on,
  busy = false,
  labelledBy,
  describedBy,
  onToggle,
}: {
  on: boolean;
  busy?: boolean;
  labelledBy: string;
  describedBy?: string;
  onToggle: () => void;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={on}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      aria-busy={busy || undefined}
      disabled={busy}
      onClick={onToggle}
      className={`relative inline-flex h-7 w-12 shrink-0 items-center rounded-full transition-colors disabled:opacity-70 ${on ? "bg-blue-700" : "bg-neutral-400"}`}
    >
      <span
        aria-hidden="true"
        className={`inline-block h-5 w-5 rounded-full bg-white shadow motion-safe:transition-transform ${on ? "translate-x-6" : "translate-x-1"}`}
      />
    </button>
  );
}
