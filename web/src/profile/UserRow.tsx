import type { ReactNode } from "react";
import { Link } from "wouter";
import type { Schemas } from "../api/client";
import { Avatar } from "../ui/Avatar";
import { FollowButton } from "./FollowButton";
import { useIsMe, useProfile } from "./queries";

type User = Schemas["UserSummary"];

/** One person in a list: avatar, username and name linking to their profile, and an action. */
export function UserRow({ user, action }: { user: User; action?: ReactNode }) {
  return (
    <li className="flex items-center gap-3 px-4 py-2">
      <Link href={`/u/${user.username}`} className="flex min-w-0 flex-1 items-center gap-3 rounded-lg">
        <Avatar user={user} />
        <span className="min-w-0">
          <span className="block truncate font-semibold">{user.username}</span>
          {user.display_name ? (
            <span className="block truncate text-sm text-neutral-600">{user.display_name}</span>
          ) : null}
        </span>
      </Link>
      {action}
    </li>
  );
}

/**
 * The follow button beside someone in a list. Lists carry no relationship, so the row reads the
 * person's profile (cached, and shared with their profile screen) before it shows a button.
 */
export function RowFollowButton({ username }: { username: string }) {
  const me = useIsMe(username);
  const profile = useProfile(username, !me);
  if (me || !profile.data?.relationship || profile.data.relationship.blocking) return null;
  return (
    <FollowButton
      username={username}
      relationship={profile.data.relationship}
      isPrivate={profile.data.is_private}
      compact
    />
  );
}
