import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useMemo } from "react";
import { Link } from "wouter";
import { api, data, type Schemas } from "../api/client";
import { ago } from "../lib/time";
import { Avatar } from "../ui/Avatar";
import { Button } from "../ui/Button";
import { ErrorMessage } from "../ui/Feedback";
import { thumbhashUrl } from "../ui/Picture";

type Group = Schemas["NotificationGroup"];
type Person = Schemas["UserSummary"];

const Name = ({ user }: { user: Person }) => (
  <Link href={`/u/${user.username}`} className="font-semibold text-neutral-900 hover:underline">
    {user.username}
  </Link>
);

/** "alice", "alice and bob", "alice and 3 others": who did it, newest first, as Instagram says it. */
function Actors({ group }: { group: Group }) {
  const [first, second] = group.actors;
  if (!first) return <span className="font-semibold">Someone</span>;
  if (group.actor_count <= 1) return <Name user={first} />;
  if (group.actor_count === 2 && second) {
    return (
      <>
        <Name user={first} /> and <Name user={second} />
      </>
    );
  }
  const others = group.actor_count - 1;
  return (
    <>
      <Name user={first} /> and {others.toLocaleString()} {others === 1 ? "other" : "others"}
    </>
  );
}

const Quote = ({ text }: { text: string }) => <span className="text-neutral-700">“{text}”</span>;

/** The sentence a group says, in plain words. */
function Sentence({ group }: { group: Group }): ReactNode {
  const who = <Actors group={group} />;
  const excerpt = group.comment ? <Quote text={group.comment.excerpt} /> : null;
  switch (group.type) {
    case "like":
      return <>{who} liked your post.</>;
    case "comment":
      return (
        <>
          {who} commented: {excerpt}
        </>
      );
    case "reply":
      return (
        <>
          {who} replied to your comment: {excerpt}
        </>
      );
    case "mention":
      return group.comment ? (
        <>
          {who} mentioned you in a comment: {excerpt}
        </>
      ) : (
        <>{who} mentioned you in a post.</>
      );
    case "follow":
      return <>{who} started following you.</>;
    case "follow_request":
      return (
        <>
          {who} asked to follow you.{" "}
          <Link href="/requests" className="font-semibold text-blue-700 hover:underline">
            Review requests
          </Link>
        </>
      );
    case "follow_accepted":
      return <>{who} accepted your follow request.</>;
    case "live_started":
      return group.live ? (
        <>
          {who} {group.live.status === "live" ? "is live now" : "was live"}:{" "}
          <Link href={`/live/${group.live.id}`} className="font-semibold text-blue-700 hover:underline">
            {group.live.title}
          </Link>
        </>
      ) : (
        <>{who} started a live video.</>
      );
    case "moderation":
      return (
        <>
          <span className="font-semibold">Edgegram's moderators</span>{" "}
          {group.text ?? "reviewed something you shared. It may be hidden from others."}
        </>
      );
    case "system":
      return (
        <>
          <span className="font-semibold">Edgegram:</span> {group.text ?? "There is news about your account."}
        </>
      );
  }
}

function PostThumb({ post }: { post: NonNullable<Group["post"]> }) {
  const blur = useMemo(() => thumbhashUrl(post.thumbhash), [post.thumbhash]);
  return (
    <Link
      href={`/p/${post.id}`}
      className="block h-11 w-11 shrink-0 overflow-hidden rounded-md bg-neutral-200 bg-cover"
      style={blur ? { backgroundImage: `url(${blur})` } : undefined}
    >
      {post.thumbnail ? (
        <img src={post.thumbnail} alt="Your post" className="h-full w-full object-cover" loading="lazy" />
      ) : (
        <span className="sr-only">Your post</span>
      )}
    </Link>
  );
}

/**
 * Follow back, for a follow from one person: whether you already follow them is on their profile
 * (a notification's people carry no relationship), so it is read for the rows that need it.
 */
function FollowBack({ user }: { user: Person }) {
  const client = useQueryClient();
  const key = ["notifications", "relationship", user.username] as const;
  const profile = useQuery({
    queryKey: key,
    queryFn: async () =>
      (await data(await api.GET("/v1/users/{username}", { params: { path: { username: user.username } } })))
        .relationship,
  });
  const follow = useMutation({
    mutationFn: async () =>
      data(await api.POST("/v1/users/{username}/follow", { params: { path: { username: user.username } } })),
    onSuccess: (answer) =>
      client.setQueryData(key, (relationship: typeof profile.data) =>
        relationship
          ? { ...relationship, following: answer.state === "following", requested: answer.state === "requested" }
          : relationship,
      ),
  });
  const relationship = profile.data;
  if (!relationship || relationship.blocking) return null;
  if (relationship.following || relationship.requested) {
    return (
      <span className="shrink-0 rounded-lg bg-neutral-100 px-3 py-1.5 text-sm font-semibold text-neutral-700">
        {relationship.following ? "Following" : "Requested"}
      </span>
    );
  }
  return (
    <div className="shrink-0 text-right">
      <Button
        className="px-3 py-1.5"
        busy={follow.isPending}
        onClick={() => follow.mutate()}
        aria-label={`Follow ${user.username} back`}
      >
        Follow back
      </Button>
      <ErrorMessage error={follow.error} className="mt-1" />
    </div>
  );
}

function Faces({ group }: { group: Group }) {
  const [first, second] = group.actors;
  if (!first) {
    return (
      <span
        aria-hidden="true"
        className="inline-flex h-11 w-11 shrink-0 items-center justify-center rounded-full bg-neutral-900 font-bold text-white"
      >
        E
      </span>
    );
  }
  if (!second) return <Avatar user={first} />;
  return (
    <span className="relative h-11 w-11 shrink-0" aria-hidden="true">
      <span className="absolute top-0 left-0">
        <Avatar user={second} size="sm" />
      </span>
      <span className="absolute right-0 bottom-0 rounded-full ring-2 ring-white">
        <Avatar user={first} size="sm" />
      </span>
    </span>
  );
}

export function NotificationRow({ group }: { group: Group }) {
  const [first] = group.actors;
  return (
    <li className={`flex items-center gap-3 px-4 py-3 ${group.unread ? "bg-blue-50" : ""}`} data-testid="notification">
      <Faces group={group} />
      <p className="min-w-0 flex-1 text-sm leading-snug break-words text-neutral-900">
        {group.unread ? <span className="sr-only">New: </span> : null}
        <Sentence group={group} />{" "}
        <time dateTime={group.latest_at} className="whitespace-nowrap text-neutral-600">
          {ago(group.latest_at)}
        </time>
      </p>
      {group.post ? <PostThumb post={group.post} /> : null}
      {!group.post && group.type === "follow" && group.actor_count === 1 && first ? <FollowBack user={first} /> : null}
    </li>
  );
}
