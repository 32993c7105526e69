import { type InfiniteData, useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { Avatar } from "../ui/Avatar";
import { Button } from "../ui/Button";
import { EmptyState, ErrorMessage, Spinner } from "../ui/Feedback";
import { LoadMore } from "../ui/InfiniteList";

type UserPage = Schemas["UserPage"];
type User = Schemas["UserSummary"];

/** The caller's own account lists, each paged like the others (GET /v1/me/...). */
export type OwnList = "/v1/me/close-friends" | "/v1/me/blocks" | "/v1/me/mutes";

export const ownListKey = (path: OwnList) => ["me", "list", path] as const;

export function useOwnList(path: OwnList) {
  return useInfiniteQuery({
    queryKey: ownListKey(path),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET(path, { params: { query: { cursor: pageParam, limit: 20 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/**
 * One of your lists with one action per person (Remove, Unblock, Unmute). The person leaves the
 * list at once; if the server refuses, they come back and the error shows beside them.
 */
export function UserList({
  path,
  action,
  actionLabel,
  empty,
  emptyHint,
  label,
}: {
  path: OwnList;
  action: (username: string) => Promise<unknown>;
  actionLabel: string;
  empty: string;
  emptyHint?: string;
  label: string;
}) {
  const queryClient = useQueryClient();
  const list = useOwnList(path);
  const [failed, setFailed] = useState<{ username: string; error: unknown } | null>(null);
  const remove = useMutation({
    mutationFn: (user: User) => action(user.username),
    onMutate: async (user) => {
      setFailed(null);
      await queryClient.cancelQueries({ queryKey: ownListKey(path) });
      const before = queryClient.getQueryData<InfiniteData<UserPage>>(ownListKey(path));
      queryClient.setQueryData<InfiniteData<UserPage>>(ownListKey(path), (old) =>
        old ? { ...old, pages: old.pages.map((p) => ({ ...p, items: p.items.filter((u) => u.id !== user.id) })) } : old,
      );
      return { before };
    },
    onError: (error, user, context) => {
      if (context?.before) queryClient.setQueryData(ownListKey(path), context.before);
      setFailed({ username: user.username, error });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ownListKey(path) }),
  });
  const users = list.data?.pages.flatMap((p) => p.items) ?? [];
  if (list.isPending) return <Spinner label={`Loading ${label.toLowerCase()}`} />;
  if (list.error) return <ErrorMessage error={list.error} />;
  if (users.length === 0) return <EmptyState title={empty}>{emptyHint}</EmptyState>;
  return (
    <>
      <ul aria-label={label} className="divide-y divide-neutral-200">
        {users.map((user) => (
          <li key={user.id} className="py-3">
            <div className="flex items-center gap-3">
              <Avatar user={user} />
              <div className="min-w-0 flex-1">
                <Link href={`~/u/${user.username}`} className="block truncate font-semibold text-neutral-900">
                  {user.username}
                </Link>
                {user.display_name ? <p className="truncate text-sm text-neutral-600">{user.display_name}</p> : null}
              </div>
              <Button
                variant="secondary"
                aria-label={`${actionLabel} ${user.username}`}
                onClick={() => remove.mutate(user)}
              >
                {actionLabel}
              </Button>
            </div>
            {failed?.username === user.username ? <ErrorMessage error={failed.error} className="mt-2" /> : null}
          </li>
        ))}
      </ul>
      <LoadMore hasMore={list.hasNextPage} loading={list.isFetchingNextPage} onLoad={() => void list.fetchNextPage()} />
    </>
  );
}
