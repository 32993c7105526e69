import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type RefObject, useEffect, useRef, useState } from "react";
import { useLocation } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { forgetAccount, moment } from "../../settings/account";
import { Card, Section } from "../../settings/Section";
import { Button } from "../../ui/Button";
import { ErrorMessage, Spinner } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";

type DataExport = Schemas["DataExport"];
const EXPORT = ["me", "export"] as const;
/** ACCOUNT_DELETION_GRACE_DAYS on the server (docs/accounts.md); the answer names the exact date. */
const GRACE_DAYS = 30;

/** /settings/data: download a copy of your data, or delete your account. */
export default function DataSettings() {
  return (
    <Section title="Your data">
      <ExportCard />
      <DeleteCard />
    </Section>
  );
}

function size(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024 * 1024) return ` (${Math.max(1, Math.round(bytes / 1024))} KB)`;
  return ` (${(bytes / 1024 / 1024).toFixed(1)} MB)`;
}

function ExportCard() {
  const queryClient = useQueryClient();
  const latest = useQuery({
    queryKey: EXPORT,
    queryFn: async (): Promise<DataExport | null> => {
      try {
        return await data(await api.GET("/v1/me/export"));
      } catch (error) {
        // 404: no export asked for yet.
        if (error instanceof ApiProblem && error.status === 404) return null;
        throw error;
      }
    },
    // While it is being built, look again now and then; it takes a minute or so.
    refetchInterval: (query) => (query.state.data?.status === "pending" ? 5000 : false),
  });
  const request = useMutation({
    mutationFn: async () => data(await api.POST("/v1/me/export", { body: {} })),
    onSuccess: (fresh) => queryClient.setQueryData(EXPORT, fresh),
  });
  const current = latest.data;
  return (
    <Card title="Download your data">
      <p className="text-sm text-neutral-600">
        Get a ZIP file with your profile, posts, photos, comments, messages, followers and settings. We build it in the
        background and tell you when it's ready. You can ask once a day.
      </p>
      {latest.isPending ? <Spinner label="Loading your latest export" /> : null}
      <ErrorMessage error={latest.error} />
      {current ? (
        <div className="rounded-lg bg-neutral-100 px-3 py-2 text-sm text-neutral-800" role="status">
          {current.status === "pending" ? (
            <>Your export, asked for {moment(current.created_at)}, is being prepared…</>
          ) : null}
          {current.status === "failed" ? (
            <>Your export from {moment(current.created_at)} could not be made. You can ask for a new one now.</>
          ) : null}
          {current.status === "ready" && current.url ? (
            <span className="flex flex-wrap items-center justify-between gap-2">
              <span>
                Ready since {moment(current.completed_at ?? current.created_at)}
                {size(current.size_bytes)}. The link works until {moment(current.expires_at ?? current.created_at)}.
              </span>
              <a href={current.url} className="font-semibold text-blue-700 underline" download>
                Download your data
              </a>
            </span>
          ) : null}
          {current.status === "ready" && !current.url ? <>Your last export has expired.</> : null}
        </div>
      ) : null}
      {current?.status === "pending" ? null : (
        <Button variant="secondary" busy={request.isPending} onClick={() => request.mutate()}>
          Request a download
        </Button>
      )}
      <ErrorMessage error={request.error} />
    </Card>
  );
}

function DeleteCard() {
  const dialog = useRef<HTMLDialogElement>(null);
  // The dialog sits outside the card so the card's spacing treats the button as its last item.
  return (
    <>
      <Card title="Delete your account">
        <p className="text-sm text-neutral-600">
          Your profile, posts, stories, comments and messages disappear at once. You have {GRACE_DAYS} days to change
          your mind by signing in again; after that everything is erased for good.
        </p>
        <Button variant="danger" onClick={() => dialog.current?.showModal()}>
          Delete account…
        </Button>
      </Card>
      <DeleteDialog dialog={dialog} />
    </>
  );
}

/**
 * The confirmation: a native modal dialog, so focus stays inside it and Escape closes it. The
 * password is what makes it final; the server signs every session out, so the app does too.
 */
function DeleteDialog({ dialog }: { dialog: RefObject<HTMLDialogElement | null> }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [password, setPassword] = useState("");
  const form = useSubmit(async () => {
    await data(await api.DELETE("/v1/me", { body: { password } }));
    dialog.current?.close();
    forgetAccount(queryClient);
    navigate("~/login", { replace: true });
  });
  const passwordError =
    form.error instanceof ApiProblem && form.error.status === 401 ? form.error.message : form.fieldError("password");
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const reset = () => setPassword("");
    element.addEventListener("close", reset);
    return () => element.removeEventListener("close", reset);
  }, [dialog]);
  return (
    <dialog
      ref={dialog}
      aria-labelledby="delete-title"
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl p-0 shadow-xl backdrop:bg-black/50"
    >
      <form className="space-y-4 p-5" noValidate onSubmit={(e) => void form.submit(e)}>
        <h2 id="delete-title" className="text-lg font-bold">
          Delete your account?
        </h2>
        <ul className="list-disc space-y-1 pl-5 text-sm text-neutral-700">
          <li>Your profile, posts, stories and comments disappear for everyone right away.</li>
          <li>You are signed out everywhere, and push notifications stop.</li>
          <li>
            For {GRACE_DAYS} days you can sign in again and restore everything. After that, your account and everything
            in it are erased and can't be brought back.
          </li>
          <li>If you want a copy of your data, download it before you delete.</li>
        </ul>
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
          hint="Type your password to confirm."
        />
        {passwordError ? null : <ErrorMessage error={form.formError} />}
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <Button variant="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={form.busy} disabled={!password}>
            Delete my account
          </Button>
        </div>
      </form>
    </dialog>
  );
}
