import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, data } from "../api/client";
import { type Me, updateMe } from "../api/session";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/Feedback";
import { longDate, signOut } from "./account";

/**
 * What a session of an account pending deletion sees instead of the app: the server lets such a
 * session reach only GET /v1/me and POST /v1/me/restore (every other call answers 403
 * account_pending_deletion), so the app offers exactly those two ways on: restore, or sign out.
 * App.tsx renders this in place of the Layout whenever the signed-in user has
 * `deletion_scheduled_for` set.
 */
export function PendingDeletion({ user }: { user: Me }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [busy, setBusy] = useState<"restore" | "leave" | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function restore() {
    setBusy("restore");
    setError(null);
    try {
      const me = await data(await api.POST("/v1/me/restore", { body: {} }));
      // Anything fetched while the account was pending answered 403; start clean.
      queryClient.clear();
      updateMe(me);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }
  async function leave() {
    setBusy("leave");
    await signOut(queryClient);
    navigate("/login", { replace: true });
  }
  const when = user.deletion_scheduled_for ? longDate(user.deletion_scheduled_for) : "";
  return (
    <main id="main" className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-10">
      <p className="mb-8 text-center text-3xl font-bold tracking-tight" aria-hidden="true">
        Edgegram
      </p>
      <div className="space-y-4 rounded-xl border border-neutral-300 p-6">
        <h1 className="text-xl font-bold">Your account is scheduled for deletion on {when}</h1>
        <p className="text-neutral-700">
          You asked to delete <span className="font-semibold">{user.username}</span>. Until {when}, nobody can see your
          profile or anything you shared, and you can still change your mind.
        </p>
        <p className="text-neutral-700">
          Restore your account to get everything back as it was. If you do nothing, it will be erased for good on {when}
          .
        </p>
        <ErrorMessage error={error} />
        <div className="flex flex-col gap-2 sm:flex-row">
          <Button busy={busy === "restore"} disabled={busy !== null} onClick={() => void restore()} className="flex-1">
            Restore my account
          </Button>
          <Button
            variant="secondary"
            busy={busy === "leave"}
            disabled={busy !== null}
            onClick={() => void leave()}
            className="flex-1"
          >
            Sign out
          </Button>
        </div>
      </div>
    </main>
  );
}
