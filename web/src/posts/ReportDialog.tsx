import { useId, useState } from "react";
import { api, data, type Schemas } from "../api/client";
import { useSubmit } from "../api/forms";
import { Button } from "../ui/Button";
import { TextArea } from "../ui/Field";
import { Dialog } from "./Dialog";
import { plainError } from "./errors";

type Reason = Schemas["CreateReport"]["reason"];
type Target = { type: "post" | "comment" | "story" | "user"; id: string };

const REASONS: { value: Reason; label: string }[] = [
  { value: "spam", label: "It's spam" },
  { value: "nudity", label: "Nudity or sexual activity" },
  { value: "harassment", label: "Bullying or harassment" },
  { value: "hate", label: "Hate speech or symbols" },
  { value: "violence", label: "Violence or dangerous organisations" },
  { value: "self_harm", label: "Suicide or self-injury" },
  { value: "scam", label: "Scam or fraud" },
  { value: "impersonation", label: "Pretending to be someone else" },
  { value: "intellectual_property", label: "Intellectual property violation" },
  { value: "other", label: "Something else" },
];

/** Report a post, comment or account: a reason from the server's list and an optional note. */
export function ReportDialog({ target, what, onClose }: { target: Target; what: string; onClose: () => void }) {
  const [reason, setReason] = useState<Reason | "">("");
  const [note, setNote] = useState("");
  const [done, setDone] = useState(false);
  const selectId = useId();
  const { submit, busy, fieldError, formError } = useSubmit(async () => {
    if (!reason) return;
    await data(
      await api.POST("/v1/reports", { body: { target, reason, ...(note.trim() ? { note: note.trim() } : {}) } }),
    );
    setDone(true);
  });
  const reasonError = fieldError("reason") ?? fieldError("target");
  return (
    <Dialog title={`Report ${what}`} onClose={onClose}>
      {done ? (
        <div className="space-y-4 p-4">
          <p role="status">
            Thanks for telling us. Our moderators will review it; you'll get a notification when they decide.
          </p>
          <Button onClick={onClose} className="w-full">
            Done
          </Button>
        </div>
      ) : (
        <form className="space-y-4 p-4" onSubmit={(event) => void submit(event)}>
          <div className="space-y-1">
            <label htmlFor={selectId} className="block text-sm font-medium text-neutral-800">
              Why are you reporting this?
            </label>
            <select
              id={selectId}
              value={reason}
              required
              aria-invalid={reasonError ? true : undefined}
              onChange={(event) => setReason(event.target.value as Reason)}
              className="block w-full rounded-lg border border-neutral-400 bg-white px-3 py-2 text-base"
            >
              <option value="" disabled>
                Choose a reason
              </option>
              {REASONS.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
            {reasonError ? (
              <p className="text-sm text-red-700" role="alert">
                {reasonError}
              </p>
            ) : null}
          </div>
          <TextArea
            label="Anything else we should know? (optional)"
            value={note}
            maxLength={1000}
            rows={3}
            onChange={(event) => setNote(event.target.value)}
            error={fieldError("note")}
          />
          {formError ? (
            <p role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              {plainError(formError, "send the report")}
            </p>
          ) : null}
          <Button type="submit" variant="danger" busy={busy} disabled={!reason} className="w-full">
            Send report
          </Button>
        </form>
      )}
    </Dialog>
  );
}
