import { useMemo, useState } from "react";
import { Link } from "wouter";
import type { Schemas } from "../api/client";
import { Icon } from "../ui/Icon";
import { thumbhashUrl } from "../ui/Picture";

type Post = Schemas["Post"];

const count = (n: number) => n.toLocaleString();

/**
 * One square tile: the post's first photo cropped to the centre (Instagram's grid), its ThumbHash
 * in place until the image arrives. The link's name is the photo's alt text, so a screen reader
 * hears what is in the picture rather than "link".
 */
function Tile({ post, eager }: { post: Post; eager: boolean }) {
  const media = post.media[0];
  const [loaded, setLoaded] = useState(false);
  const blur = useMemo(() => thumbhashUrl(media?.thumbhash ?? null), [media?.thumbhash]);
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
            <Icon
              name="carousel"
              className="absolute top-1.5 right-1.5 h-5 w-5 text-white drop-shadow"
              fill="currentColor"
            />
            <span className="sr-only">, {post.media.length} photos</span>
          </>
        ) : null}
        {post.moderation ? (
          <span className="absolute inset-x-0 bottom-0 bg-amber-100 px-1 text-center text-xs text-amber-900">
            Hidden by moderators
          </span>
        ) : null}
        {/* Counts on hover, as on Instagram's grid; the post page says them to everyone else. */}
        <span
          aria-hidden="true"
          className="absolute inset-0 hidden items-center justify-center gap-4 bg-black/40 text-sm font-bold text-white group-hover:flex"
        >
          <span className="flex items-center gap-1">
            <Icon name="heart" className="h-5 w-5" fill="currentColor" />
            {count(post.like_count)}
          </span>
          <span className="flex items-center gap-1">
            <Icon name="comment" className="h-5 w-5" fill="currentColor" />
            {count(post.comment_count)}
          </span>
        </span>
      </Link>
    </li>
  );
}

/**
 * Posts as a grid of square thumbnails, three to a row at every width: profiles, saved posts,
 * explore, tag pages and search.
 */
export function PostGrid({ posts, label, eagerRows = 2 }: { posts: Post[]; label: string; eagerRows?: number }) {
  return (
    <ul aria-label={label} className="grid grid-cols-3 gap-0.5 sm:gap-1" data-testid="post-grid">
      {posts.map((post, i) => (
        <Tile key={post.id} post={post} eager={i < eagerRows * 3} />
      ))}
    </ul>
  );
}
