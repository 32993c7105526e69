import { useInfiniteQuery } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { RowFollowButton, UserRow } from "../profile/UserRow";
import { EmptyState, Spinner } from "../ui/Feedback";
import { LoadMore } from "../ui/InfiniteList";
import { Dialog } from "./Dialog";
import { ActionError } from "./errors";

/** Who liked a post, newest first, in a dialog opened from the like count. */
export function LikersDialog({ postId, onClose }: { postId: string; onClose: () => void }) {
  const likes = useInfiniteQuery({
    queryKey: ["likes", postId],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/posts/{id}/likes", {
          params: { path: { id: postId }, query: { cursor: pageParam, limit: 20 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const people = likes.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Dialog title="Likes" onClose={onClose}>
      {likes.isPending ? <Spinner label="Loading who liked this" /> : null}
      <ActionError error={likes.error} action="load the likes" className="m-4" />
      {likes.isSuccess && people.length === 0 ? <EmptyState title="No likes yet" /> : null}
      <ul className="py-2">
        {people.map((person) => (
          <UserRow key={person.id} user={person} action={<RowFollowButton username={person.username} />} />
        ))}
      </ul>
      <LoadMore
        hasMore={likes.hasNextPage}
        loading={likes.isFetchingNextPage}
        onLoad={() => void likes.fetchNextPage()}
      />
    </Dialog>
  );
}
