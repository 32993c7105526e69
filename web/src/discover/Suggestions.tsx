import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { Avatar } from "../ui/Avatar";
import { Button } from "../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../ui/Feedback";
import { Icon } from "../ui/Icon";

type Suggestion = Schemas["Suggestion"];
type FollowState = Schemas["FollowState"]["state"];

const SUGGESTIONS_KEY = ["me", "suggestions"] as const;

function followedByText(s: Suggestion): string {
  const [first, ...rest] = s.followed_by;
  if (!first) return s.is_private ? "Private account" : "";
  const others = Math.max(s.mutual_count - 1, rest.length);
  return others > 0 ? `Followed by ${first} and ${others} more` : `Followed by ${first}`;
}

function SuggestionRow({ person }: { person: Suggestion }) {
  const client = useQueryClient();
  const [state, setState] = useState<FollowState>("none");
  const follow = useMutation({
    mutationFn: async (on: boolean) => {
      const params = { path: { username: person.username } };
      return data(
        await (on
          ? api.POST("/v1/users/{username}/follow", { params })
          : api.DELETE("/v1/users/{username}/follow", { params })),
      );
    },
    // Shown at once; the server's answer (following, or requested for a private account) replaces it.
    onMutate: (on) => {
      const before = state;
      setState(on ? (person.is_private ? "requested" : "following") : "none");
      return before;
    },
    onError: (_e, _on, before) => setState(before ?? "none"),
    onSuccess: (answer) => setState(answer.state),
  });
  const dismiss = useMutation({
    mutationFn: async () =>
      data(await api.DELETE("/v1/me/suggestions/{username}", { params: { path: { username: person.username } } })),
    onMutate: () => {
      const before = client.getQueryData<Schemas["SuggestionList"]>(SUGGESTIONS_KEY);
      client.setQueryData<Schemas["SuggestionList"]>(SUGGESTIONS_KEY, (list) =>
        list ? { items: list.items.filter((s) => s.id !== person.id) } : list,
      );
      return before;
    },
    onError: (_e, _v, before) => client.setQueryData(SUGGESTIONS_KEY, before),
  });
  const note = [person.display_name, followedByText(person)].filter(Boolean).join(" · ");
  const label = state === "following" ? "Following" : state === "requested" ? "Requested" : "Follow";
  return (
    <li className="flex flex-wrap items-center gap-3 px-4 py-2.5">
      <Link href={`/u/${person.username}`} className="flex min-w-0 flex-1 items-center gap-3">
        <Avatar user={person} />
        <span className="min-w-0">
          <span className="block truncate font-semibold text-neutral-900">{person.username}</span>
          {note ? <span className="block truncate text-sm text-neutral-600">{note}</span> : null}
        </span>
      </Link>
      <Button
        variant={state === "none" ? "primary" : "secondary"}
        aria-label={`${label} ${person.username}`}
        onClick={() => follow.mutate(state === "none")}
        className="shrink-0"
      >
        {label}
      </Button>
      <button
        type="button"
        aria-label={`Dismiss ${person.username}`}
        onClick={() => dismiss.mutate()}
        className="shrink-0 rounded-full p-1.5 text-neutral-600 hover:bg-neutral-100 hover:text-neutral-900"
      >
        <Icon
          name="close"
          className="h-4 w-4"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
          strokeLinecap="round"
        />
      </button>
      {follow.error || dismiss.error ? (
        <ErrorMessage error={follow.error ?? dismiss.error} className="basis-full" />
      ) : null}
    </li>
  );
}

/** People to follow (friends of friends, then popular accounts), with a follow and a dismiss each. */
export function Suggestions() {
  const query = useQuery({
    queryKey: SUGGESTIONS_KEY,
    queryFn: async () => data(await api.GET("/v1/me/suggestions", { params: { query: { limit: 20 } } })),
  });
  return (
    <section aria-labelledby="suggestions-heading" className="pt-2">
      <h2 id="suggestions-heading" className="px-4 pt-3 pb-1 text-base font-semibold">
        Suggested for you
      </h2>
      {query.isPending ? <Spinner label="Loading suggestions" /> : null}
      <ErrorMessage error={query.error} className="mx-4" />
      {query.isSuccess && query.data.items.length === 0 ? (
        <EmptyState title="No suggestions right now">Search for people by name above.</EmptyState>
      ) : null}
      <ul>
        {query.data?.items.map((person) => (
          <SuggestionRow key={person.id} person={person} />
        ))}
      </ul>
    </section>
  );
}
