import { useQuery } from "@tanstack/react-query";
import { Link } from "wouter";
import { api, data } from "../api/client";

/** The round highlight covers under a profile's header; nothing at all when there are none. */
export function Highlights({ username }: { username: string }) {
  const highlights = useQuery({
    queryKey: ["highlights", username.toLowerCase()],
    queryFn: async () =>
      data(await api.GET("/v1/users/{username}/highlights", { params: { path: { username }, query: { limit: 20 } } })),
    staleTime: 60_000,
  });
  const items = highlights.data?.items.filter((h) => h.stories.length > 0) ?? [];
  if (items.length === 0) return null;
  return (
    <nav aria-label="Highlights" className="overflow-x-auto px-4 pb-4 sm:px-8">
      <ul className="flex gap-4">
        {items.map((highlight) => {
          const cover = highlight.stories[0];
          return (
            <li key={highlight.id} className="w-16 shrink-0 sm:w-20">
              <Link
                href={`/stories/${username}?highlight=${encodeURIComponent(highlight.id)}`}
                className="flex flex-col items-center gap-1 rounded-lg text-center"
              >
                <span className="block rounded-full border border-neutral-300 p-0.5">
                  {cover ? (
                    <img
                      src={cover.media.urls.thumb}
                      alt=""
                      className="h-14 w-14 rounded-full bg-neutral-200 object-cover sm:h-[4.5rem] sm:w-[4.5rem]"
                      loading="lazy"
                    />
                  ) : null}
                </span>
                <span className="w-full truncate text-xs font-semibold">{highlight.title}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
