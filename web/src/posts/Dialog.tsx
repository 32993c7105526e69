import { type ReactNode, useEffect, useId, useRef } from "react";
import { Icon } from "../ui/Icon";

/**
 * A modal dialog on the native <dialog>: the browser traps focus inside it, closes it on Escape and
 * gives focus back to the control that opened it, so keyboards and screen readers get the real
 * thing. Rendered only while open; closing (Escape, the close button, a click on the backdrop)
 * calls `onClose`, and the owner unmounts it.
 */
export function Dialog({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape (the dialog's cancel event) is the keyboard way out; a click on the backdrop is the pointer's.
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // The backdrop is the dialog element itself; clicks inside land on its children.
        if (event.target === event.currentTarget) onClose();
      }}
      className={`m-auto w-[calc(100%-2rem)] ${wide ? "max-w-lg" : "max-w-sm"} rounded-xl bg-white p-0 text-neutral-900 shadow-xl backdrop:bg-black/50`}
    >
      <div className="flex items-center justify-between border-b border-neutral-200 px-4 py-3">
        <h2 id={titleId} className="text-base font-semibold">
          {title}
        </h2>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close"
          className="rounded-full p-1 text-neutral-700 hover:bg-neutral-100"
        >
          <Icon
            name="close"
            className="h-5 w-5"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
          />
        </button>
      </div>
      <div className="max-h-[70vh] overflow-y-auto">{children}</div>
    </dialog>
  );
}
