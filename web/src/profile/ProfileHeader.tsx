import { Link } from "wouter";
import type { Schemas } from "../api/client";
import { RichText } from "../posts/Caption";
import { Avatar } from "../ui/Avatar";
import { FollowButton } from "./FollowButton";
import { ProfileMenu } from "./ProfileMenu";
import { useFollowRequests, useIsMe } from "./queries";

type Profile = Schemas["Profile"];

const count = (n: number, one: string, many: string) => (
  <>
    <span className="font-semibold text-neutral-900">{n.toLocaleString()}</span> {n === 1 ? one : many}
  </>
);

/**
 * A profile's header. On a phone the avatar sits beside the counters with the name, bio and
 * buttons full width below; from `sm` up the avatar is large on the left and the rest stacks on
 * its right, as on Instagram's web profile.
 */
export function ProfileHeader({ profile }: { profile: Profile }) {
  const me = useIsMe(profile.username);
  const counter = "rounded text-sm text-neutral-700 sm:text-base";
  return (
    <header className="grid grid-cols-[auto_1fr] items-center gap-x-6 gap-y-4 px-4 py-6 sm:gap-x-12 sm:px-8 sm:py-8">
      <div className="sm:row-span-3 sm:self-start">
        <Avatar user={profile} size="lg" />
      </div>
      <div className="min-w-0 space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="truncate text-xl font-normal text-neutral-900">{profile.username}</h1>
          {profile.is_private ? (
            <span className="inline-flex items-center gap-1 rounded-full bg-neutral-100 px-2 text-xs text-neutral-700">
              <svg
                viewBox="0 0 24 24"
                className="h-3 w-3"
                fill="none"
                stroke="currentColor"
                strokeWidth="2.5"
                aria-hidden="true"
              >
                <rect x="4" y="11" width="16" height="10" rx="2" />
                <path d="M8 11V7a4 4 0 0 1 8 0v4" />
              </svg>
              Private
            </span>
          ) : null}
        </div>
        <ul className="flex gap-4 sm:gap-8" aria-label="Counts">
          <li className={counter}>{count(profile.posts_count, "post", "posts")}</li>
          <li>
            <Link href={`/u/${profile.username}/followers`} className={`${counter} hover:underline`}>
              {count(profile.followers_count, "follower", "followers")}
            </Link>
          </li>
          <li>
            <Link href={`/u/${profile.username}/following`} className={`${counter} hover:underline`}>
              {count(profile.following_count, "following", "following")}
            </Link>
          </li>
        </ul>
      </div>
      <div className="col-span-2 space-y-1 text-sm sm:col-span-1 sm:col-start-2">
        {profile.display_name ? <p className="font-semibold">{profile.display_name}</p> : null}
        {profile.bio ? (
          <p className="break-words whitespace-pre-wrap text-neutral-900">
            <RichText text={profile.bio} />
          </p>
        ) : null}
        {profile.relationship?.followed_by && !me ? <p className="text-neutral-600">Follows you</p> : null}
      </div>
      <div className="col-span-2 flex flex-wrap items-start gap-2 sm:col-span-1 sm:col-start-2">
        {me ? <OwnButtons /> : <OtherButtons profile={profile} />}
      </div>
    </header>
  );
}

const linkButton =
  "inline-flex flex-1 items-center justify-center gap-2 rounded-lg border border-neutral-300 bg-neutral-100 px-4 py-2 text-sm font-semibold text-neutral-900 hover:bg-neutral-200 sm:flex-none";

function OwnButtons() {
  const requests = useFollowRequests();
  const pending = (requests.data?.items.length ?? 0) > 0;
  return (
    <>
      <Link href="/settings/profile" className={linkButton}>
        Edit profile
      </Link>
      {pending ? (
        <Link href="/requests" className={linkButton}>
          <span className="h-2 w-2 rounded-full bg-red-700" aria-hidden="true" />
          Follow requests
        </Link>
      ) : null}
    </>
  );
}

function OtherButtons({ profile }: { profile: Profile }) {
  if (!profile.relationship) return null;
  return (
    <>
      <FollowButton
        username={profile.username}
        relationship={profile.relationship}
        isPrivate={profile.is_private}
        className="flex-1 sm:flex-none"
      />
      <Link href={`/direct?to=${encodeURIComponent(profile.username)}`} className={linkButton}>
        Message
      </Link>
      <ProfileMenu profile={profile} />
    </>
  );
}
