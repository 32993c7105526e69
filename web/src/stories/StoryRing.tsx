import type { Schemas } from "../api/client";

type Person = Pick<Schemas["UserSummary"], "username" | "avatar">;

/**
 * An avatar inside a story ring: the gradient ring while there is something unseen, a grey one
 * once seen. Decorative: the link around it names the person and says whether it is new.
 */
export function StoryRing({
  user,
  unseen,
  live = false,
  size = "h-16 w-16",
}: {
  user: Person;
  unseen: boolean;
  live?: boolean;
  size?: string;
}) {
  const ring = live
    ? "bg-red-600"
    : unseen
      ? "bg-linear-to-tr from-amber-400 via-pink-600 to-purple-700"
      : "bg-neutral-300";
  return (
    <span className={`relative inline-flex shrink-0 rounded-full p-[3px] ${ring}`} data-unseen={unseen || undefined}>
      <span className="inline-flex rounded-full bg-white p-[2px]">
        {user.avatar ? (
          <img
            src={user.avatar.small}
            alt=""
            className={`${size} rounded-full bg-neutral-200 object-cover`}
            loading="lazy"
            decoding="async"
          />
        ) : (
          <span
            aria-hidden="true"
            className={`${size} inline-flex items-center justify-center rounded-full bg-blue-100 text-xl font-semibold text-blue-900 uppercase`}
          >
            {user.username.slice(0, 1)}
          </span>
        )}
      </span>
      {live ? (
        <span className="absolute -bottom-1 left-1/2 -translate-x-1/2 rounded border-2 border-white bg-red-600 px-1 text-[10px] leading-3 font-bold text-white">
          LIVE
        </span>
      ) : null}
    </span>
  );
}
