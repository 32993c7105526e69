import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { ActionError, isNotFound, Unavailable } from "../../posts/errors";
import { PostGrid } from "../../posts/PostGrid";
import { Highlights } from "../../profile/Highlights";
import { ProfileHeader } from "../../profile/ProfileHeader";
import { useBlock, useIsMe, useProfile } from "../../profile/queries";
import { Button } from "../../ui/Button";
import { EmptyState, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type Profile = Schemas["Profile"];

/** /u/:username — someone's profile: header, highlights, and their posts (or your saved ones). */
export default function ProfileScreen() {
  const { username = "" } = useParams<{ username: string }>();
  const profile = useProfile(username);
  const me = useIsMe(username);
  if (profile.data?.relationship?.blocking) return <Blocked profile={profile.data} />;
  if (isNotFound(profile.error)) {
    return (
      <Unavailable title="This account isn't available">
        The link may be broken, or the account may have been removed.
      </Unavailable>
    );
  }
  if (profile.error && !profile.data) {
    return (
      <div className="p-4">
        <h1 className="sr-only">Profile</h1>
        <ActionError error={profile.error} action="load this profile" />
      </div>
    );
  }
  if (!profile.data) return <Spinner label="Loading the profile" />;
  const p = profile.data;
  const visible = me || !p.is_private || (p.relationship?.following ?? false);
  return (
    <div className="sm:py-2">
      <ProfileHeader profile={p} />
      {visible ? <Highlights username={p.username} /> : null}
      {visible ? <Content profile={p} me={me} /> : <Private profile={p} />}
    </div>
  );
}

function Private({ profile }: { profile: Profile }) {
  return (
    <section className="border-t border-neutral-200 px-4 py-12 text-center">
      <span
        className="mx-auto mb-3 flex h-14 w-14 items-center justify-center rounded-full border-2 border-neutral-900"
        aria-hidden="true"
      >
        <svg
          viewBox="0 0 24 24"
          className="h-7 w-7"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          aria-hidden="true"
        >
          <rect x="4" y="11" width="16" height="10" rx="2" />
          <path d="M8 11V7a4 4 0 0 1 8 0v4" />
        </svg>
      </span>
      <h2 className="font-semibold text-neutral-900">This account is private</h2>
      <p className="mt-1 text-sm text-neutral-600">
        {profile.relationship?.requested
          ? `You asked to follow ${profile.username}. You'll see their photos once they approve.`
          : `Follow ${profile.username} to see their photos.`}
      </p>
    </section>
  );
}

function Blocked({ profile }: { profile: Profile }) {
  const block = useBlock(profile.username);
  return (
    <section className="px-4 py-16 text-center">
      <h1 className="text-xl font-semibold">You blocked {profile.username}</h1>
      <p className="mt-2 text-neutral-600">You won't see each other's profiles, posts or stories.</p>
      <Button variant="secondary" className="mt-4" busy={block.isPending} onClick={() => block.mutate(false)}>
        Unblock {profile.username}
      </Button>
      <ActionError error={block.error} action={`unblock ${profile.username}`} className="mx-auto mt-3 max-w-sm" />
    </section>
  );
}

function Content({ profile, me }: { profile: Profile; me: boolean }) {
  const [params] = useSearchParams();
  const tab = me && params.get("tab") === "saved" ? "saved" : "posts";
  const tabClass = (active: boolean) =>
    `-mt-px flex items-center gap-1.5 border-t px-2 py-3 text-xs font-semibold tracking-wider uppercase ${active ? "border-neutral-900 text-neutral-900" : "border-transparent text-neutral-600 hover:text-neutral-900"}`;
  return (
    <section aria-labelledby="profile-content" className="border-t border-neutral-200">
      <h2 id="profile-content" className="sr-only">
        {tab === "saved" ? "Saved posts" : "Posts"}
      </h2>
      {me ? (
        <nav aria-label="Profile sections" className="flex justify-center gap-12">
          <Link
            href={`/u/${profile.username}`}
            aria-current={tab === "posts" ? "page" : undefined}
            className={tabClass(tab === "posts")}
          >
            Posts
          </Link>
          <Link
            href={`/u/${profile.username}?tab=saved`}
            aria-current={tab === "saved" ? "page" : undefined}
            className={tabClass(tab === "saved")}
          >
            Saved
          </Link>
        </nav>
      ) : null}
      {tab === "saved" ? <SavedGrid /> : <UserPosts profile={profile} me={me} />}
    </section>
  );
}

function UserPosts({ profile, me }: { profile: Profile; me: boolean }) {
  const username = profile.username;
  const posts = useInfiniteQuery({
    queryKey: ["user-posts", username.toLowerCase()],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(
        await api.GET("/v1/users/{username}/posts", {
          params: { path: { username }, query: { cursor: pageParam, limit: 18 } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const items = posts.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      {posts.isPending ? <Spinner label="Loading posts" /> : null}
      <ActionError error={posts.error} action="load the posts" className="m-4" />
      {posts.isSuccess && items.length === 0 ? (
        <EmptyState title={me ? "Share your first photo" : "No posts yet"}>
          {me ? (
            <Link href="/new" className="font-semibold text-blue-700 underline">
              Create a post
            </Link>
          ) : null}
        </EmptyState>
      ) : null}
      <PostGrid posts={items} label="Posts" />
      <LoadMore
        hasMore={posts.hasNextPage}
        loading={posts.isFetchingNextPage}
        onLoad={() => void posts.fetchNextPage()}
        label="Load more posts"
      />
    </>
  );
}

function SavedGrid() {
  const saved = useInfiniteQuery({
    queryKey: ["saved"],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      data(await api.GET("/v1/me/saved", { params: { query: { cursor: pageParam, limit: 18 } } })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const items = saved.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <p className="px-4 pb-3 text-xs text-neutral-600">Only you can see what you've saved.</p>
      {saved.isPending ? <Spinner label="Loading saved posts" /> : null}
      <ActionError error={saved.error} action="load your saved posts" className="m-4" />
      {saved.isSuccess && items.length === 0 ? (
        <EmptyState title="Nothing saved yet">Save photos you want to see again; they'll show up here.</EmptyState>
      ) : null}
      <PostGrid posts={items} label="Saved posts" />
      <LoadMore
        hasMore={saved.hasNextPage}
        loading={saved.isFetchingNextPage}
        onLoad={() => void saved.fetchNextPage()}
        label="Load more saved posts"
      />
    </>
  );
}
