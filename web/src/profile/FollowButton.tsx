import { useState } from "react";
import type { Schemas } from "../api/client";
import { Dialog } from "../posts/Dialog";
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
  isPrivate = false,
  className = "",
  compact = false,
}: {
  username: string;
  relationship: Relationship;
  /** Unfollowing a private account takes its posts away until it approves again: ask first. */
  isPrivate?: boolean;
  className?: string;
  compact?: boolean;
}) {
  const follow = useFollow(username);
  const [confirming, setConfirming] = useState(false);
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
        onClick={() => {
          if (relationship.following && isPrivate) setConfirming(true);
          else follow.mutate(!active);
        }}
        className={compact ? "px-3 py-1.5" : "w-full"}
      >
        {label}
      </Button>
      <ActionError
        error={follow.error}
        action={active ? `unfollow ${username}` : `follow ${username}`}
        className="mt-2"
      />
      {confirming ? (
        <Dialog title={`Unfollow ${username}?`} onClose={() => setConfirming(false)}>
          <div className="space-y-4 p-4">
            <p className="text-sm text-neutral-700">
              Their account is private: to see their posts again you'll have to ask to follow them again.
            </p>
            <div className="flex gap-2">
              <Button variant="secondary" className="flex-1" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
              <Button
                variant="danger"
                className="flex-1"
                busy={follow.isPending}
                onClick={() => follow.mutate(false, { onSettled: () => setConfirming(false) })}
              >
                Unfollow
              </Button>
            </div>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
