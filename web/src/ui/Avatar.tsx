import type { Schemas } from "../api/client";

type Person = Pick<Schemas["UserSummary"], "username" | "avatar">;

const SIZES = { sm: "h-8 w-8", md: "h-11 w-11", lg: "h-20 w-20 sm:h-36 sm:w-36" } as const;
/** The initial, sized to its circle, for people with no picture. */
const INITIAL = { sm: "text-sm", md: "text-lg", lg: "text-3xl sm:text-5xl" } as const;

/** A person's picture, or their initial when they have none. Decorative beside their name. */
export function Avatar({
  user,
  size = "md",
  decorative = true,
}: {
  user: Person;
  size?: keyof typeof SIZES;
  decorative?: boolean;
}) {
  const alt = decorative ? "" : `${user.username}'s profile picture`;
  if (user.avatar) {
    return (
      <img
        src={size === "lg" ? user.avatar.small : user.avatar.thumb}
        alt={alt}
        className={`${SIZES[size]} shrink-0 rounded-full bg-neutral-200 object-cover`}
        loading="lazy"
        decoding="async"
      />
    );
  }
  const initial = user.username.slice(0, 1);
  const look = `${SIZES[size]} ${INITIAL[size]} inline-flex shrink-0 items-center justify-center rounded-full bg-blue-100 font-semibold text-blue-900 uppercase`;
  if (decorative) {
    return (
      <span aria-hidden="true" className={look}>
        {initial}
      </span>
    );
  }
  return (
    <span role="img" aria-label={alt} className={look}>
      {initial}
    </span>
  );
}
