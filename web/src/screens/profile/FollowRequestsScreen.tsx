import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, data } from "../../api/client";
import { useSession } from "../../api/session";
import { ActionError } from "../../posts/errors";
import { profileKey } from "../../profile/queries";
import { RowFollowButton, UserRow } from "../../profile/UserRow";
import { Button } from "../../ui/Button";
import { EmptyState, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

/** /requests — people asking to follow your private account: approve or delete each. */
export default function FollowRequestsScreen() {
  const requests = useInfiniteQuery({
    queryKey: ["follow-requests", "list"],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET("/v1/me/follow-requests", { params: { query: { cursor: pageParam, limit: 20 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const items = requests.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="sm:py-4">
      <div className="border-b border-neutral-200 px-4 py-3">
        <h1 className="text-base font-semibold">Follow requests</h1>
        <p className="text-sm text-neutral-600">Only people you approve can see your posts and lists.</p>
      </div>
      {requests.isPending ? <Spinner label="Loading follow requests" /> : null}
      <ActionError error={requests.error} action="load your follow requests" className="m-4" />
      {requests.isSuccess && items.length === 0 ? (
        <EmptyState title="No pending requests">
          When someone asks to follow you, they'll show up here.{" "}
          <Link href="/settings" className="font-semibold text-blue-700 underline">
            Privacy settings
          </Link>
        </EmptyState>
      ) : null}
      <ul className="py-2" aria-label="Pending requests">
        {items.map((person) => (
          <UserRow key={person.id} user={person} action={<RequestActions username={person.username} />} />
        ))}
      </ul>
      <LoadMore
        hasMore={requests.hasNextPage}
        loading={requests.isFetchingNextPage}
        onLoad={() => void requests.fetchNextPage()}
      />
    </div>
  );
}

function RequestActions({ username }: { username: string }) {
  const client = useQueryClient();
  const { user } = useSession();
  const [done, setDone] = useState<"approved" | "denied" | null>(null);
  const decide = useMutation({
    mutationFn: async (approve: boolean) => {
      const params = { path: { username } };
      await data(
        await (approve
          ? api.POST("/v1/me/follow-requests/{username}/approve", { params })
          : api.POST("/v1/me/follow-requests/{username}/deny", { params })),
      );
      return approve;
    },
    onSuccess: (approved) => {
      // The row stays (with its answer) so the list doesn't jump under the pointer; the badge and
      // counters are read again.
      setDone(approved ? "approved" : "denied");
      void client.invalidateQueries({ queryKey: ["follow-requests", "first"] });
      void client.invalidateQueries({ queryKey: profileKey(username) });
      if (user) void client.invalidateQueries({ queryKey: profileKey(user.username) });
    },
  });
  if (done === "approved") {
    return (
      <div className="flex items-center gap-2">
        <span className="text-sm text-neutral-600" role="status">
          Approved
        </span>
        <RowFollowButton username={username} />
      </div>
    );
  }
  if (done === "denied") {
    return (
      <span className="text-sm text-neutral-600" role="status">
        Request removed
      </span>
    );
  }
  return (
    <div className="text-right">
      <div className="flex gap-2">
        <Button
          className="px-3 py-1.5"
          busy={decide.isPending && decide.variables === true}
          disabled={decide.isPending}
          onClick={() => decide.mutate(true)}
          aria-label={`Approve ${username}`}
        >
          Approve
        </Button>
        <Button
          variant="secondary"
          className="px-3 py-1.5"
          busy={decide.isPending && decide.variables === false}
          disabled={decide.isPending}
          onClick={() => decide.mutate(false)}
          aria-label={`Delete ${username}'s request`}
        >
          Delete
        </Button>
      </div>
      <ActionError
        error={decide.error}
        action={decide.variables ? `approve ${username}` : `delete the request`}
        className="mt-1"
      />
    </div>
  );
}
