import { Link } from "wouter";
import { useSession } from "../api/session";
import { useStoryTray } from "./queries";
import { StoryRing } from "./StoryRing";

const ITEM = "flex w-18 shrink-0 flex-col items-center gap-1 rounded-lg p-1 text-center";
const NAME = "block w-full truncate text-xs text-neutral-800";

/**
 * The stories tray above the feed: your own story first (or a link to post one), then the people
 * you follow with stories up, unseen first, each ringed until seen. Scrolls sideways. Nothing at
 * all while there is nothing to show, so the feed does not start with an empty strip.
 */
export function StoriesTray() {
  const { user } = useSession();
  const tray = useStoryTray();
  const items = tray.data?.items ?? [];
  if (!user || items.length === 0) return null;
  const own = items.find((entry) => entry.user.id === user.id && entry.story_count > 0);
  const others = items.filter((entry) => entry.user.id !== user.id);
  return (
    <nav aria-label="Stories" className="border-b border-neutral-200 sm:rounded-xl sm:border">
      <ul className="flex gap-2 overflow-x-auto px-3 py-3 [scrollbar-width:thin]" data-testid="stories-tray">
        <li>
          {own ? (
            <Link
              href={`/stories/${user.username}`}
              className={ITEM}
              aria-label={`Your story${own.has_unseen ? ", not seen yet" : ""}`}
            >
              <StoryRing user={user} unseen={own.has_unseen} />
              <span className={NAME}>Your story</span>
            </Link>
          ) : (
            <Link href="/new?story=1" className={ITEM} aria-label="Add to your story">
              <span className="relative">
                <StoryRing user={user} unseen={false} />
                <span
                  aria-hidden="true"
                  className="absolute right-0 bottom-0 flex h-6 w-6 items-center justify-center rounded-full border-2 border-white bg-blue-700 text-base leading-none font-bold text-white"
                >
                  +
                </span>
              </span>
              <span className={NAME}>Your story</span>
            </Link>
          )}
        </li>
        {others.map((entry) => {
          const name = entry.user.username;
          const storyLink = entry.story_count > 0;
          const label = storyLink
            ? `${name}'s story${entry.has_unseen ? ", not seen yet" : ""}${entry.live ? ", live now" : ""}`
            : `${name} is live`;
          return (
            <li key={entry.user.id}>
              <Link href={storyLink ? `/stories/${name}` : "/live"} className={ITEM} aria-label={label}>
                <StoryRing user={entry.user} unseen={entry.has_unseen} live={entry.live && !storyLink} />
                <span className={`${NAME} ${entry.has_unseen ? "font-semibold" : ""}`}>{name}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
