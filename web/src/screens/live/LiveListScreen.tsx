import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { useSubmit } from "../../api/forms";
import { ApiProblem } from "../../api/problem";
import { useSession } from "../../api/session";
import { forgetHosting, hostingId, rememberHosting } from "../../live/hosting";
import { Avatar } from "../../ui/Avatar";
import { Button } from "../../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { TextField } from "../../ui/Field";

type Session = Schemas["LiveSession"];
type Audience = Session["audience"];

const AUDIENCES: { value: Audience; label: string }[] = [
  { value: "public", label: "Everyone who can see your posts" },
  { value: "followers", label: "Followers" },
  { value: "close_friends", label: "Close friends" },
];

export const LIVE_LIST_KEY = ["live", "list"] as const;

function LiveBadge() {
  return <span className="rounded bg-red-700 px-1.5 py-0.5 text-xs font-bold tracking-wide text-white">LIVE</span>;
}

/** "Go live": a comments-only session starts at once; a Stream session waits for the host's video. */
function GoLiveForm() {
  const { user } = useSession();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const [title, setTitle] = useState("");
  const [audience, setAudience] = useState<Audience>(user?.is_private ? "followers" : "public");
  const selectId = useId();
  const form = useSubmit(async () => {
    const created = await data(await api.POST("/v1/live", { body: { title: title.trim(), audience } }));
    rememberHosting(created.id);
    let session = created;
    // Without Stream there is no video to connect, so the host's word starts it (docs/live.md).
    if (created.ingest === null && created.playback === null && created.status === "created") {
      session = await data(await api.POST("/v1/live/{id}/start", { params: { path: { id: created.id } } }));
    }
    client.setQueryData(["live", session.id], session);
    navigate(`/live/${session.id}`);
  });
  const conflict = form.error instanceof ApiProblem && form.error.status === 409;
  const mine = hostingId();
  return (
    <section aria-labelledby="go-live-heading" className="rounded-xl border border-neutral-200 p-4">
      <h2 id="go-live-heading" className="mb-3 text-base font-semibold">
        Go live
      </h2>
      <form onSubmit={(event) => void form.submit(event)} className="space-y-3">
        <TextField
          label="Title"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          maxLength={120}
          placeholder="What's happening?"
          error={form.fieldError("title")}
        />
        <div className="space-y-1">
          <label htmlFor={selectId} className="block text-sm font-medium text-neutral-800">
            Who can watch
          </label>
          <select
            id={selectId}
            value={audience}
            onChange={(event) => {
              const next = AUDIENCES.find((a) => a.value === event.target.value);
              if (next) setAudience(next.value);
            }}
            className="block w-full rounded-lg border border-neutral-400 bg-white px-3 py-2 text-base text-neutral-900"
          >
            {AUDIENCES.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <ErrorMessage error={form.formError} />
        {conflict && mine ? (
          <p className="text-sm">
            <Link href={`/live/${mine}`} className="font-semibold text-blue-700 underline">
              Go to your live session
            </Link>
          </p>
        ) : null}
        <Button type="submit" busy={form.busy} className="w-full sm:w-auto">
          <span aria-hidden="true" className="h-2 w-2 rounded-full bg-white" />
          {form.busy ? "Starting…" : "Go live"}
        </Button>
      </form>
    </section>
  );
}

/** The host's own open session (remembered by this browser), so they can get back to it. */
function YourLive() {
  const id = hostingId();
  const session = useQuery({
    queryKey: ["live", id ?? ""],
    enabled: id !== null,
    queryFn: async () => {
      try {
        return data(await api.GET("/v1/live/{id}", { params: { path: { id: id ?? "" } } }));
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 404 && id) forgetHosting(id);
        throw error;
      }
    },
  });
  const live = session.data;
  const over = live?.status === "ended";
  useEffect(() => {
    if (over && id) forgetHosting(id);
  }, [over, id]);
  if (!live || over) return null;
  return (
    <Link
      href={`/live/${live.id}`}
      className="flex items-center gap-3 rounded-xl border border-red-200 bg-red-50 p-4 hover:bg-red-100"
    >
      <LiveBadge />
      <span className="min-w-0 flex-1">
        <span className="block font-semibold text-neutral-900">
          {live.status === "live" ? "You're live" : "Your live session is ready"}
        </span>
        <span className="block truncate text-sm text-neutral-700">{live.title || "Untitled live"}</span>
      </span>
      <span className="text-sm font-semibold text-blue-700">Open</span>
    </Link>
  );
}

function SessionRow({ session }: { session: Session }) {
  return (
    <li>
      <Link
        href={`/live/${session.id}`}
        className="flex items-center gap-3 px-1 py-3 hover:bg-neutral-50 sm:rounded-lg"
      >
        <span className="rounded-full bg-gradient-to-tr from-amber-500 via-red-600 to-fuchsia-700 p-0.5">
          <span className="block rounded-full bg-white p-0.5">
            <Avatar user={session.host} />
          </span>
        </span>
        <span className="min-w-0 flex-1">
          <span className="flex items-center gap-2">
            <span className="truncate font-semibold text-neutral-900">{session.host.username}</span>
            <LiveBadge />
          </span>
          <span className="block truncate text-sm text-neutral-700">{session.title || "Live now"}</span>
        </span>
        <span className="shrink-0 text-sm text-neutral-600">
          {session.viewer_count === 1 ? "1 watching" : `${session.viewer_count.toLocaleString()} watching`}
        </span>
      </Link>
    </li>
  );
}

/** Live: who you follow is live now, and a way to go live yourself. */
export default function LiveListScreen() {
  const list = useQuery({
    queryKey: LIVE_LIST_KEY,
    queryFn: async () => data(await api.GET("/v1/live")),
    refetchInterval: 20_000,
  });
  const sessions = list.data?.items ?? [];
  return (
    <div className="space-y-5 px-4 pt-3 sm:px-0 sm:py-6">
      <h1 className="text-xl font-bold">Live</h1>
      <YourLive />
      <section aria-labelledby="live-now-heading">
        <h2 id="live-now-heading" className="text-base font-semibold">
          Live now
        </h2>
        {list.isPending ? <Spinner label="Loading live sessions" /> : null}
        <ErrorMessage error={list.error} className="mt-2" />
        {list.isSuccess && sessions.length === 0 ? (
          <EmptyState title="No one you follow is live right now">
            When someone you follow goes live, they show up here.
          </EmptyState>
        ) : null}
        <ul aria-label="Live sessions" className="divide-y divide-neutral-100">
          {sessions.map((session) => (
            <SessionRow key={session.id} session={session} />
          ))}
        </ul>
      </section>
      <GoLiveForm />
    </div>
  );
}
