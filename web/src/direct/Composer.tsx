import { useState } from "react";

const MAX_CHARS = 2000;

/**
 * The message box: Enter sends, Shift+Enter starts a new line (and Enter while an input method is
 * composing a character is left to it). Grows with its text up to a few lines.
 */
export function Composer({
  disabled,
  disabledReason,
  onSend,
  onTyping,
}: {
  disabled: boolean;
  disabledReason?: string | undefined;
  onSend: (body: string) => void;
  onTyping: () => void;
}) {
  const [text, setText] = useState("");
  const empty = text.trim() === "";
  const send = () => {
    if (empty || disabled) return;
    onSend(text);
    setText("");
  };
  const rows = Math.min(5, Math.max(1, text.split("\n").length));
  return (
    <form
      className="flex items-end gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <label htmlFor="message-text" className="sr-only">
        Message
      </label>
      <textarea
        id="message-text"
        rows={rows}
        maxLength={MAX_CHARS}
        value={text}
        disabled={disabled}
        placeholder={disabled ? disabledReason : "Message…"}
        aria-describedby="message-keys"
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim() !== "") onTyping();
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            send();
          }
        }}
        className="block max-h-40 min-h-11 flex-1 resize-none rounded-3xl border border-neutral-400 px-4 py-2.5 text-base text-neutral-900 placeholder:text-neutral-600 disabled:bg-neutral-100"
      />
      <span id="message-keys" className="sr-only">
        Enter sends; Shift+Enter starts a new line.
      </span>
      <button
        type="submit"
        disabled={empty || disabled}
        className="h-11 shrink-0 rounded-full px-4 font-semibold text-blue-700 hover:bg-blue-50 disabled:text-neutral-500"
      >
        Send
      </button>
    </form>
  );
}
