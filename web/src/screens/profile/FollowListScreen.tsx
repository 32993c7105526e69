import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "wouter";
import { api, data } from "../../api/client";
import { ActionError, isNotFound, Unavailable } from "../../posts/errors";
import { profileKey, useIsMe, useProfile } from "../../profile/queries";
import { RowFollowButton, UserRow } from "../../profile/UserRow";
import { Button } from "../../ui/Button";
import { EmptyState, Spinner } from "../../ui/Feedback";
import { Icon } from "../../ui/Icon";
import { LoadMore } from "../../ui/InfiniteList";

type List = "followers" | "following";

/** /u/:username/followers and /u/:username/following. */
export default function FollowListScreen() {
  const { username = "", list = "" } = useParams<{ username: string; list: string }>();
  if (list !== "followers" && list !== "following") {
    return <Unavailable title="This page isn't here">The link may be broken.</Unavailable>;
  }
  return <FollowList username={username} list={list} />;
}

function FollowList({ username, list }: { username: string; list: List }) {
  const me = useIsMe(username);
  const profile = useProfile(username);
  const people = useInfiniteQuery({
    queryKey: ["follows", username.toLowerCase(), list],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const params = { path: { username }, query: { cursor: pageParam, limit: 20 } };
      return data(
        await (list === "followers"
          ? api.GET("/v1/users/{username}/followers", { params })
          : api.GET("/v1/users/{username}/following", { params })),
      );
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    retry: (count, error) => count < 2 && !isNotFound(error),
  });
  const items = people.data?.pages.flatMap((page) => page.items) ?? [];
  const title = list === "followers" ? "Followers" : "Following";
  const heading = (
    <div className="flex items-center gap-3 border-b border-neutral-200 px-4 py-3">
      <Link
        href={`/u/${username}`}
        aria-label={`Back to ${username}'s profile`}
        className="rounded-full p-1 hover:bg-neutral-100"
      >
        <Icon
          name="back"
          className="h-5 w-5"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </Link>
      <h1 className="text-base font-semibold">
        {title}
        <span className="block text-sm font-normal text-neutral-600">{username}</span>
      </h1>
    </div>
  );
  if (isNotFound(people.error)) {
    // The server answers 404 both for an account that isn't there and for a private one whose
    // lists the caller may not see; the profile header (which private accounts still show) tells which.
    const p = profile.data;
    const privateToMe = p?.is_private && !p.relationship?.following && !me;
    return (
      <div>
        {heading}
        {privateToMe ? (
          <EmptyState title="This account is private">
            Only people {username} has approved can see who {list === "followers" ? "follows them" : "they follow"}.
          </EmptyState>
        ) : (
          <EmptyState title="This account isn't available">The account may have been removed.</EmptyState>
        )}
      </div>
    );
  }
  return (
    <div className="sm:py-4">
      {heading}
      {people.isPending ? <Spinner label={`Loading ${title.toLowerCase()}`} /> : null}
      <ActionError error={people.error} action={`load the ${title.toLowerCase()} list`} className="m-4" />
      {people.isSuccess && items.length === 0 ? (
        <EmptyState title={list === "followers" ? "No followers yet" : "Not following anyone yet"} />
      ) : null}
      <ul className="py-2">
        {items.map((person) => (
          <UserRow
            key={person.id}
            user={person}
            action={
              me && list === "followers" ? (
                <RemoveFollower username={person.username} />
              ) : (
                <RowFollowButton username={person.username} />
              )
            }
          />
        ))}
      </ul>
      <LoadMore
        hasMore={people.hasNextPage}
        loading={people.isFetchingNextPage}
        onLoad={() => void people.fetchNextPage()}
      />
    </div>
  );
}

/** On your own followers list: drop someone from your followers (they are not told). */
function RemoveFollower({ username }: { username: string }) {
  const client = useQueryClient();
  const [removed, setRemoved] = useState(false);
  const remove = useMutation({
    mutationFn: async () => data(await api.DELETE("/v1/me/followers/{username}", { params: { path: { username } } })),
    onSuccess: () => {
      setRemoved(true);
      void client.invalidateQueries({ queryKey: ["profile"] });
      void client.invalidateQueries({ queryKey: profileKey(username) });
    },
  });
  if (removed) return <span className="text-sm text-neutral-600">Removed</span>;
  return (
    <div className="text-right">
      <Button
        variant="secondary"
        className="px-3 py-1.5"
        busy={remove.isPending}
        onClick={() => remove.mutate()}
        aria-label={`Remove ${username} from your followers`}
      >
        Remove
      </Button>
      <ActionError error={remove.error} action={`remove ${username}`} className="mt-1" />
    </div>
  );
}
