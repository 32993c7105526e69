import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Link, useSearchParams } from "wouter";
import { api, data, type Schemas } from "../../api/client";
import { Suggestions } from "../../discover/Suggestions";
import { type Tab, TabPanel, Tabs } from "../../discover/Tabs";
import { PostGrid } from "../../posts/PostGrid";
import { Avatar } from "../../ui/Avatar";
import { EmptyState, ErrorMessage, Spinner } from "../../ui/Feedback";
import { LoadMore } from "../../ui/InfiniteList";

type SearchType = "accounts" | "tags" | "posts";
type Pages = {
  accounts: Schemas["AccountSearchPage"];
  tags: Schemas["TagSearchPage"];
  posts: Schemas["PostSearchPage"];
};

const TABS: Tab<SearchType>[] = [
  { id: "accounts", label: "Accounts" },
  { id: "tags", label: "Tags" },
  { id: "posts", label: "Posts" },
];
const DEBOUNCE_MS = 250;

const isType = (value: string | null): value is SearchType =>
  value === "accounts" || value === "tags" || value === "posts";

/**
 * One kind of result, paged. The server answers the page shape `type` asked for (SearchPage is
 * the union of the three), so the page is read as that member.
 */
function useSearch<T extends SearchType>(type: T, q: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ["search", type, q],
    enabled,
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      (await data(
        await api.GET("/v1/search", { params: { query: { q, type, cursor: pageParam, limit: 24 } } }),
      )) as Pages[T],
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    // While the next keystroke's answer is on its way, the last results stay instead of a spinner.
    placeholderData: keepPreviousData,
  });
}

function AccountResults({ q }: { q: string }) {
  const search = useSearch("accounts", q, q !== "");
  const people = search.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Results search={search} count={people.length} what="accounts" q={q}>
      <ul aria-label="Accounts" className="py-1">
        {people.map((person) => (
          <li key={person.id}>
            <Link href={`/u/${person.username}`} className="flex items-center gap-3 px-4 py-2.5 hover:bg-neutral-50">
              <Avatar user={person} />
              <span className="min-w-0">
                <span className="block truncate font-semibold text-neutral-900">{person.username}</span>
                {person.display_name ? (
                  <span className="block truncate text-sm text-neutral-600">{person.display_name}</span>
                ) : null}
              </span>
              {person.is_private ? <span className="sr-only">(private account)</span> : null}
            </Link>
          </li>
        ))}
      </ul>
    </Results>
  );
}

function TagResults({ q }: { q: string }) {
  const search = useSearch("tags", q, q !== "");
  const tags = search.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Results search={search} count={tags.length} what="tags" q={q}>
      <ul aria-label="Tags" className="py-1">
        {tags.map((tag) => (
          <li key={tag.tag}>
            <Link
              href={`/tags/${encodeURIComponent(tag.tag)}`}
              className="flex items-center gap-3 px-4 py-2.5 hover:bg-neutral-50"
            >
              <span
                aria-hidden="true"
                className="inline-flex h-11 w-11 shrink-0 items-center justify-center rounded-full border border-neutral-300 text-lg font-semibold text-neutral-800"
              >
                #
              </span>
              <span className="min-w-0">
                <span className="block truncate font-semibold text-neutral-900">#{tag.tag}</span>
                <span className="block text-sm text-neutral-600">
                  {tag.post_count === 1 ? "1 post" : `${tag.post_count.toLocaleString()} posts`}
                </span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </Results>
  );
}

function PostResults({ q }: { q: string }) {
  const search = useSearch("posts", q, q !== "");
  const posts = search.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Results search={search} count={posts.length} what="posts" q={q}>
      <div className="pt-1">
        <PostGrid posts={posts} label="Posts" />
      </div>
    </Results>
  );
}

/** The states every result list shares: loading, the problem, nothing found, more to load. */
function Results({
  search,
  count,
  what,
  q,
  children,
}: {
  search: {
    isPending: boolean;
    isSuccess: boolean;
    isPlaceholderData: boolean;
    error: unknown;
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => unknown;
  };
  count: number;
  what: string;
  q: string;
  children: ReactNode;
}) {
  return (
    <div aria-busy={search.isPlaceholderData || undefined}>
      {search.isPending ? <Spinner label={`Searching ${what}`} /> : null}
      <ErrorMessage error={search.error} className="mx-4 mt-3" />
      {search.isSuccess && !search.isPlaceholderData && count === 0 ? (
        <EmptyState title={`No ${what} found`}>
          Nothing matches “{q}”. Check the spelling or try fewer letters.
        </EmptyState>
      ) : null}
      {children}
      <LoadMore
        hasMore={search.hasNextPage}
        loading={search.isFetchingNextPage}
        onLoad={() => void search.fetchNextPage()}
        label={`More ${what}`}
      />
    </div>
  );
}

/** Search people, tags and posts; with nothing typed, people to follow. */
export default function SearchScreen() {
  const [params, setParams] = useSearchParams();
  const urlQuery = params.get("q") ?? "";
  const rawType = params.get("type");
  const type: SearchType = isType(rawType) ? rawType : "accounts";
  const [text, setText] = useState(urlQuery);
  const inputId = useId();
  const lastUrlQuery = useRef(urlQuery);

  // The URL follows the field a moment after typing stops (replacing, so Back leaves the screen
  // instead of stepping through every keystroke); a shared or reloaded link fills the field.
  useEffect(() => {
    if (text === urlQuery) return;
    const timer = setTimeout(() => {
      // Our own change: the effect below must not write it back into the field.
      lastUrlQuery.current = text;
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (text) next.set("q", text);
          else next.delete("q");
          return next;
        },
        { replace: true },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, urlQuery, setParams]);

  // Back and forward (or a link to /search?q=…) change the URL under the field.
  useEffect(() => {
    if (urlQuery !== lastUrlQuery.current) {
      lastUrlQuery.current = urlQuery;
      setText(urlQuery);
    }
  }, [urlQuery]);

  const q = urlQuery.trim();
  function selectType(next: SearchType) {
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next === "accounts") updated.delete("type");
        else updated.set("type", next);
        return updated;
      },
      { replace: true },
    );
  }

  return (
    <div className="sm:py-6">
      <h1 className="sr-only">Search</h1>
      <search className="block px-4 pt-3 pb-2 sm:px-0">
        <label htmlFor={inputId} className="sr-only">
          Search accounts, tags and posts
        </label>
        <div className="relative">
          <svg
            viewBox="0 0 24 24"
            className="pointer-events-none absolute top-1/2 left-3 h-5 w-5 -translate-y-1/2 text-neutral-600"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            aria-hidden="true"
          >
            <path d="M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zm10 2-4.35-4.35" strokeLinecap="round" />
          </svg>
          <input
            id={inputId}
            type="search"
            value={text}
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape" && text) {
                event.preventDefault();
                setText("");
              }
            }}
            placeholder="Search"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={100}
            className="block w-full rounded-lg border border-neutral-300 bg-neutral-100 py-2 pr-3 pl-10 text-base text-neutral-900 placeholder:text-neutral-600 focus:bg-white"
          />
        </div>
      </search>
      {q === "" ? (
        <>
          {/* Phones have no Explore tab in the bottom bar: search is the way there, as on Instagram. */}
          <Link
            href="/explore"
            className="mx-4 mt-2 flex items-center gap-3 rounded-xl border border-neutral-200 px-4 py-3 hover:bg-neutral-50 sm:mx-0"
          >
            <svg
              viewBox="0 0 24 24"
              className="h-6 w-6 shrink-0 text-neutral-900"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              aria-hidden="true"
            >
              <path d="M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zm4.2-14.2-2.1 6.3-6.3 2.1 2.1-6.3z" />
            </svg>
            <span className="min-w-0 flex-1">
              <span className="block font-semibold text-neutral-900">Explore</span>
              <span className="block text-sm text-neutral-600">
                Posts and trending tags from people you don't follow yet
              </span>
            </span>
          </Link>
          <Suggestions />
        </>
      ) : (
        <>
          <Tabs tabs={TABS} selected={type} onSelect={selectType} label="What to search" idPrefix="search" />
          <TabPanel idPrefix="search" selected={type}>
            {type === "accounts" ? <AccountResults q={q} /> : null}
            {type === "tags" ? <TagResults q={q} /> : null}
            {type === "posts" ? <PostResults q={q} /> : null}
          </TabPanel>
        </>
      )}
    </div>
  );
}
