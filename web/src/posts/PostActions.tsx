import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { useSubmit } from "../api/forms";
import { useSession } from "../api/session";
import { Button } from "../ui/Button";
import { TextArea } from "../ui/Field";
import { patchPost } from "./cache";
import { Dialog } from "./Dialog";
import { ActionError, plainError } from "./errors";
import { ReportDialog } from "./ReportDialog";

type Post = Schemas["Post"];

/**
 * The "…" menu of a post: edit the caption or delete it (its author), report it (everyone else).
 * Editing happens in place on the post (`onEdit`); deleting asks first.
 */
export function PostMenu({ post, onEdit }: { post: Post; onEdit: () => void }) {
  const { user } = useSession();
  const mine = user?.id === post.author.id;
  const [open, setOpen] = useState<"menu" | "delete" | "report" | null>(null);
  const item = "block w-full px-4 py-3 text-left text-sm font-semibold hover:bg-neutral-50 border-b border-neutral-200";
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen("menu")}
        aria-label="More options for this post"
        aria-haspopup="dialog"
        className="ml-auto rounded-full p-1.5 text-neutral-900 hover:bg-neutral-100"
      >
        <svg viewBox="0 0 24 24" className="h-6 w-6" fill="currentColor" aria-hidden="true">
          <circle cx="5" cy="12" r="1.8" />
          <circle cx="12" cy="12" r="1.8" />
          <circle cx="19" cy="12" r="1.8" />
        </svg>
      </button>
      {open === "menu" ? (
        <Dialog title="Post options" onClose={() => setOpen(null)}>
          {mine ? (
            <>
              <button
                type="button"
                className={item}
                onClick={() => {
                  setOpen(null);
                  onEdit();
                }}
              >
                Edit caption
              </button>
              <button type="button" className={`${item} text-red-700`} onClick={() => setOpen("delete")}>
                Delete post
              </button>
            </>
          ) : (
            <button type="button" className={`${item} text-red-700`} onClick={() => setOpen("report")}>
              Report post
            </button>
          )}
          <button type="button" className={`${item} border-b-0 font-normal`} onClick={() => setOpen(null)}>
            Cancel
          </button>
        </Dialog>
      ) : null}
      {open === "delete" ? <DeletePostDialog post={post} onClose={() => setOpen(null)} /> : null}
      {open === "report" ? (
        <ReportDialog target={{ type: "post", id: post.id }} what="post" onClose={() => setOpen(null)} />
      ) : null}
    </>
  );
}

function DeletePostDialog({ post, onClose }: { post: Post; onClose: () => void }) {
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const remove = useMutation({
    mutationFn: async () => data(await api.DELETE("/v1/posts/{id}", { params: { path: { id: post.id } } })),
    onSuccess: () => {
      const username = post.author.username.toLowerCase();
      client.removeQueries({ queryKey: ["post", post.id] });
      void client.invalidateQueries({ queryKey: ["user-posts", username] });
      void client.invalidateQueries({ queryKey: ["profile", username] });
      void client.invalidateQueries({ queryKey: ["feed"] });
      navigate(`/u/${post.author.username}`, { replace: true });
    },
  });
  return (
    <Dialog title="Delete this post?" onClose={onClose}>
      <div className="space-y-4 p-4">
        <p className="text-sm text-neutral-700">
          It disappears at once, with its likes and comments. This can't be undone.
        </p>
        <ActionError error={remove.error} action="delete the post" />
        <div className="flex gap-2">
          <Button variant="secondary" onClick={onClose} className="flex-1">
            Cancel
          </Button>
          <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()} className="flex-1">
            Delete
          </Button>
        </div>
      </div>
    </Dialog>
  );
}

/** The caption, edited in place by its author; tags and mentions are parsed again by the server. */
export function CaptionEditor({ post, onDone }: { post: Post; onDone: () => void }) {
  const client = useQueryClient();
  const [caption, setCaption] = useState(post.caption);
  const { submit, busy, fieldError, formError } = useSubmit(async () => {
    const updated = await data(
      await api.PATCH("/v1/posts/{id}", { params: { path: { id: post.id } }, body: { caption } }),
    );
    client.setQueryData(["post", post.id], updated);
    patchPost(client, post.id, () => updated);
    onDone();
  });
  return (
    <form className="space-y-2" onSubmit={(event) => void submit(event)}>
      <TextArea
        label="Caption"
        value={caption}
        rows={4}
        maxLength={2200}
        autoFocus
        onChange={(event) => setCaption(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") onDone();
        }}
        error={fieldError("caption")}
      />
      {formError ? (
        <p role="alert" className="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {plainError(formError, "save the caption")}
        </p>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" busy={busy}>
          Save caption
        </Button>
      </div>
    </form>
  );
}
