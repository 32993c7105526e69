import { useMemo, useState } from "react";
import { thumbHashToDataURL } from "thumbhash";
import { Link } from "wouter";
import type { Schemas } from "../api/client";

type Post = Schemas["Post"];

/** The server's ThumbHash is base64url; the decoder takes bytes. */
function blurFor(hash: string | null): string | undefined {
  if (!hash) return undefined;
  try {
    const binary = atob(hash.replace(/-/g, "+").replace(/_/g, "/"));
    return thumbHashToDataURL(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

const count = (n: number) => n.toLocaleString();

/**
 * One square tile: the post's first photo cropped to the centre (Instagram's grid), its ThumbHash
 * in place until the image arrives. The link's name is the photo's alt text, so a screen reader
 * hears what is in the picture rather than "link".
 */
function Tile({ post, eager }: { post: Post; eager: boolean }) {
  const media = post.media[0];
  const [loaded, setLoaded] = useState(false);
  const blur = useMemo(() => blurFor(media?.thumbhash ?? null), [media?.thumbhash]);
  const alt = media?.alt_text.trim() ? media.alt_text : `A post by ${post.author.username}`;
  return (
    <li className="relative aspect-square">
      <Link
        href={`/p/${post.id}`}
        className="group absolute inset-0 block overflow-hidden bg-neutral-200 bg-cover"
        style={!loaded && blur ? { backgroundImage: `url(${blur})` } : undefined}
      >
        {media ? (
          <img
            src={media.urls.small}
            srcSet={`${media.urls.small} 320w, ${media.urls.medium} 640w`}
            sizes="(min-width: 640px) 220px, 34vw"
            alt={alt}
            loading={eager ? "eager" : "lazy"}
            decoding="async"
            onLoad={() => setLoaded(true)}
            className={`h-full w-full object-cover motion-safe:transition-opacity motion-safe:duration-300 ${loaded ? "opacity-100" : "opacity-0"}`}
          />
        ) : (
          <span className="flex h-full items-center p-2 text-xs text-neutral-800">{post.caption || alt}</span>
        )}
        {post.media.length > 1 ? (
          <>
            <svg
              viewBox="0 0 24 24"
              className="absolute top-1.5 right-1.5 h-5 w-5 text-white drop-shadow"
              fill="currentColor"
              aria-hidden="true"
            >
              <path d="M7 3h12a2 2 0 0 1 2 2v12h-2V5H7zM3 7h12a2 2 0 0 1 2 2v12H5a2 2 0 0 1-2-2z" />
            </svg>
            <span className="sr-only">, {post.media.length} photos</span>
          </>
        ) : null}
        {/* Counts on hover, as on Instagram's grid; the post page says them to everyone else. */}
        <span
          aria-hidden="true"
          className="absolute inset-0 hidden items-center justify-center gap-4 bg-black/40 text-sm font-bold text-white group-hover:flex"
        >
          <span className="flex items-center gap-1">
            <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
              <path d="M12 21s-7.5-4.6-9.5-9.3C1.2 8.3 3.4 5 6.8 5c2 0 3.5 1.1 4.2 2.4h2C13.7 6.1 15.2 5 17.2 5c3.4 0 5.6 3.3 4.3 6.7C19.5 16.4 12 21 12 21z" />
            </svg>
            {count(post.like_count)}
          </span>
          <span className="flex items-center gap-1">
            <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
              <path d="M21 12a8 8 0 0 1-11.6 7.1L3 21l1.9-6.4A8 8 0 1 1 21 12z" />
            </svg>
            {count(post.comment_count)}
          </span>
        </span>
      </Link>
    </li>
  );
}

/** Posts as a grid of square thumbnails, three to a row at every width. */
export function PostGrid({ posts, label, eagerRows = 2 }: { posts: Post[]; label: string; eagerRows?: number }) {
  return (
    <ul aria-label={label} className="grid grid-cols-3 gap-0.5 sm:gap-1">
      {posts.map((post, i) => (
        <Tile key={post.id} post={post} eager={i < eagerRows * 3} />
      ))}
    </ul>
  );
}
