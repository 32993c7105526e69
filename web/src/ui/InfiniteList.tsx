import { useEffect, useRef } from "react";
import { Button } from "./Button";

/**
 * The end of a keyset-paged list: the next page loads when this scrolls into view, and a button
 * does the same for keyboards and screen readers (and when the observer is unavailable).
 */
export function LoadMore({
  hasMore,
  loading,
  onLoad,
  label = "Load more",
}: {
  hasMore: boolean;
  loading: boolean;
  onLoad: () => void;
  label?: string;
}) {
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasMore || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !loading) onLoad();
      },
      { rootMargin: "600px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasMore, loading, onLoad]);
  if (!hasMore) return null;
  return (
    <div ref={sentinel} className="flex justify-center py-6">
      <Button variant="secondary" busy={loading} onClick={onLoad}>
        {loading ? "Loading…" : label}
      </Button>
    </div>
  );
}
