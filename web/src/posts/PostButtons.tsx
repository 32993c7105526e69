import { Icon } from "../ui/Icon";

const ICON = "h-7 w-7";

/** The heart: pressed when liked (screen readers hear "Like" or "Unlike"). */
export function LikeButton({
  liked,
  onToggle,
  className = "",
}: {
  liked: boolean;
  onToggle: () => void;
  className?: string;
}) {
  return (
    <button
      type="button"
      aria-pressed={liked}
      aria-label={liked ? "Unlike" : "Like"}
      onClick={onToggle}
      className={`rounded-full p-1 hover:bg-neutral-100 ${liked ? "text-red-700" : "text-neutral-900"} ${className}`}
    >
      <Icon
        name="heart"
        className={ICON}
        fill={liked ? "currentColor" : "none"}
        stroke="currentColor"
        strokeWidth="2"
      />
    </button>
  );
}

/** The bookmark: pressed when saved. */
export function SaveButton({
  saved,
  onToggle,
  className = "",
}: {
  saved: boolean;
  onToggle: () => void;
  className?: string;
}) {
  return (
    <button
      type="button"
      aria-pressed={saved}
      aria-label={saved ? "Remove from saved" : "Save"}
      onClick={onToggle}
      className={`rounded-full p-1 hover:bg-neutral-100 ${className}`}
    >
      <Icon
        name="bookmark"
        className={ICON}
        fill={saved ? "currentColor" : "none"}
        stroke="currentColor"
        strokeWidth="2"
      />
    </button>
  );
}

export const CommentIcon = () => (
  <Icon name="comment" className={ICON} fill="none" stroke="currentColor" strokeWidth="2" />
);
