import { Link } from "wouter";
import type { Schemas } from "../api/client";

type Post = Schemas["Post"];

/**
 * The square grid of a profile (or saved posts): the first photo of each post, cropped square, at
 * the thumbnail sizes (150/320 px), each a link to the post named by the photo's own alt text.
 */
export function PostGrid({ posts }: { posts: Post[] }) {
  return (
    <ul className="grid grid-cols-3 gap-0.5 sm:gap-1" data-testid="post-grid">
      {posts.map((post) => {
        const media = post.media[0];
        return (
          <li key={post.id}>
            <Link href={`/p/${post.id}`} className="group relative block aspect-square overflow-hidden bg-neutral-200">
              {media ? (
                <img
                  src={media.urls.small}
                  srcSet={`${media.urls.thumb} 150w, ${media.urls.small} 320w`}
                  sizes="(min-width: 640px) 220px, 33vw"
                  alt={media.alt_text || `A post by ${post.author.username}`}
                  loading="lazy"
                  decoding="async"
                  className="h-full w-full object-cover motion-safe:transition-transform group-hover:scale-105"
                />
              ) : (
                <span className="sr-only">A post by {post.author.username}</span>
              )}
              {post.media.length > 1 ? (
                <span className="absolute top-1.5 right-1.5 text-white drop-shadow" title="Several photos">
                  <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
                    <path d="M7 3h12a2 2 0 0 1 2 2v12h-2V5H7zM3 7h12a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z" />
                  </svg>
                  <span className="sr-only">, {post.media.length} photos</span>
                </span>
              ) : null}
              {post.moderation ? (
                <span className="absolute inset-x-0 bottom-0 bg-amber-100 px-1 text-center text-xs text-amber-900">
                  Hidden by moderators
                </span>
              ) : null}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
