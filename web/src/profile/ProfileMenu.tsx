import { useState } from "react";
import type { Schemas } from "../api/client";
import { Dialog } from "../posts/Dialog";
import { ActionError } from "../posts/errors";
import { ReportDialog } from "../posts/ReportDialog";
import { useBlock, useMute } from "./queries";

type Profile = Schemas["Profile"];

/** The "…" menu on someone else's profile: block, mute, report. */
export function ProfileMenu({ profile }: { profile: Profile }) {
  const [open, setOpen] = useState<"menu" | "report" | null>(null);
  const block = useBlock(profile.username);
  const mute = useMute(profile.username);
  const blocking = profile.relationship?.blocking ?? false;
  const muting = profile.relationship?.muting ?? false;
  const item =
    "block w-full border-b border-neutral-200 px-4 py-3 text-left text-sm font-semibold hover:bg-neutral-50 disabled:text-neutral-500";
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen("menu")}
        aria-label={`More options for ${profile.username}`}
        aria-haspopup="dialog"
        className="rounded-lg border border-neutral-300 bg-neutral-100 p-2 text-neutral-900 hover:bg-neutral-200"
      >
        <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
          <circle cx="5" cy="12" r="1.8" />
          <circle cx="12" cy="12" r="1.8" />
          <circle cx="19" cy="12" r="1.8" />
        </svg>
      </button>
      {open === "menu" ? (
        <Dialog title={profile.username} onClose={() => setOpen(null)}>
          <button
            type="button"
            className={`${item} text-red-700`}
            disabled={block.isPending}
            onClick={() => block.mutate(!blocking, { onSuccess: () => setOpen(null) })}
          >
            {blocking ? "Unblock" : "Block"}
          </button>
          <ActionError error={block.error} action={blocking ? "unblock" : "block"} className="m-3" />
          <button
            type="button"
            className={item}
            disabled={mute.isPending}
            onClick={() => mute.mutate(!muting, { onSuccess: () => setOpen(null) })}
          >
            {muting ? "Unmute" : "Mute"}
          </button>
          <ActionError error={mute.error} action={muting ? "unmute" : "mute"} className="m-3" />
          <button type="button" className={`${item} text-red-700`} onClick={() => setOpen("report")}>
            Report account
          </button>
          <button type="button" className={`${item} border-b-0 font-normal`} onClick={() => setOpen(null)}>
            Cancel
          </button>
        </Dialog>
      ) : null}
      {open === "report" ? (
        <ReportDialog
          target={{ type: "user", id: profile.id }}
          what={`${profile.username}'s account`}
          onClose={() => setOpen(null)}
        />
      ) : null}
    </>
  );
}
