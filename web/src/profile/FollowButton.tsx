import type { Schemas } from "../api/client";
import { ActionError } from "../posts/errors";
import { Button } from "../ui/Button";
import { useFollow } from "./queries";

type Relationship = Schemas["Relationship"];

/** What the follow button says for a relationship: the four states people know from Instagram. */
export function followLabel(relationship: Relationship): "Following" | "Requested" | "Follow back" | "Follow" {
  if (relationship.following) return "Following";
  if (relationship.requested) return "Requested";
  if (relationship.followed_by) return "Follow back";
  return "Follow";
}

/**
 * Follow / Requested / Following / Follow back. Pressing "Following" unfollows and pressing
 * "Requested" withdraws the request; the accessible name says so, the visible label stays short.
 */
export function FollowButton({
  username,
  relationship,
  className = "",
  compact = false,
}: {
  username: string;
  relationship: Relationship;
  className?: string;
  compact?: boolean;
}) {
  const follow = useFollow(username);
  const label = followLabel(relationship);
  const active = relationship.following || relationship.requested;
  const hint =
    label === "Following"
      ? `Following ${username}. Press to unfollow`
      : label === "Requested"
        ? `Requested to follow ${username}. Press to withdraw the request`
        : undefined;
  return (
    <div className={className}>
      <Button
        variant={active ? "secondary" : "primary"}
        busy={follow.isPending}
        aria-label={hint}
        onClick={() => follow.mutate(!active)}
        className={compact ? "px-3 py-1.5" : "w-full"}
      >
        {label}
      </Button>
      <ActionError
        error={follow.error}
        action={active ? `unfollow ${username}` : `follow ${username}`}
        className="mt-2"
      />
    </div>
  );
}
