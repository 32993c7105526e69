import type { z } from "@hono/zod-openapi";
import type { Clock } from "../../platform/clock";
import type { AppConfig } from "../../platform/config";
import type { Db } from "../../platform/db";
import { deliveryUrls } from "../media/media.service";
import type { PostRow } from "./posts.repo";
import type { PostSchema } from "./posts.schema";

export type Post = z.infer<typeof PostSchema>;

export interface HydrateDeps {
  db: Db;
  config: AppConfig;
  clock: Clock;
  origin: string;
}

interface AuthorRow {
  id: string;
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
}
interface MediaRow {
  post_id: string;
  position: number;
  alt_text: string;
  id: string;
  owner_id: string;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
}

/**
 * Turns post rows into API posts: authors, media (with signed URLs), tags, mentions and the
 * viewer's flags, for any number of posts in ONE D1 round trip (a batch of five reads), with ids
 * bound as one JSON parameter so no list can exceed D1's 100 bound parameters.
 */
export async function hydratePosts(deps: HydrateDeps, rows: PostRow[], viewerId: string | null): Promise<Post[]> {
  if (rows.length === 0) return [];
  const d1 = deps.db.$client;
  const postIds = JSON.stringify(rows.map((r) => r.id));
  const authorIds = JSON.stringify([...new Set(rows.map((r) => r.author_id))]);
  const [authors, media, tags, mentions, flags] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        "SELECT id, username, display_name, avatar_media_id, is_private FROM users WHERE id IN (SELECT value FROM json_each(?1))",
      )
      .bind(authorIds),
    d1
      .prepare(
        `SELECT pm.post_id, pm.position, pm.alt_text, m.id, m.owner_id, m.width, m.height, m.thumbhash
         FROM post_media pm JOIN media m ON m.id = pm.media_id
         WHERE pm.post_id IN (SELECT value FROM json_each(?1)) ORDER BY pm.post_id, pm.position`,
      )
      .bind(postIds),
    d1
      .prepare("SELECT post_id, tag FROM post_hashtags WHERE post_id IN (SELECT value FROM json_each(?1))")
      .bind(postIds),
    d1
      .prepare(
        `SELECT pm.post_id, u.username FROM post_mentions pm JOIN users u ON u.id = pm.user_id
         WHERE pm.post_id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(postIds),
    d1
      .prepare(
        `SELECT value AS post_id,
           EXISTS (SELECT 1 FROM likes WHERE post_id = value AND user_id = ?2) AS liked,
           EXISTS (SELECT 1 FROM saves WHERE post_id = value AND user_id = ?2) AS saved
         FROM json_each(?1)`,
      )
      .bind(postIds, viewerId ?? ""),
  ]);
  // One batch, five result sets of different row shapes.
  const rowsOf = <T>(result: D1Result<Record<string, unknown>> | undefined) =>
    (result?.results ?? []) as unknown as T[];
  const byId = new Map(rowsOf<AuthorRow>(authors).map((a) => [a.id, a]));
  const group = <T extends { post_id: string }>(list: T[]) => {
    const out = new Map<string, T[]>();
    for (const item of list) out.set(item.post_id, [...(out.get(item.post_id) ?? []), item]);
    return out;
  };
  const mediaByPost = group(rowsOf<MediaRow>(media));
  const tagsByPost = group(rowsOf<{ post_id: string; tag: string }>(tags));
  const mentionsByPost = group(rowsOf<{ post_id: string; username: string }>(mentions));
  const flagsByPost = new Map(
    rowsOf<{ post_id: string; liked: number; saved: number }>(flags).map((f) => [f.post_id, f]),
  );

  return Promise.all(
    rows.map(async (row) => {
      const author = byId.get(row.author_id);
      const flag = flagsByPost.get(row.id);
      return {
        id: row.id,
        author: {
          id: row.author_id,
          username: author?.username ?? "",
          display_name: author?.display_name ?? "",
          avatar_media_id: author?.avatar_media_id ?? null,
          is_private: author?.is_private === 1,
        },
        caption: row.caption,
        location: row.location,
        audience: row.audience,
        hashtags: (tagsByPost.get(row.id) ?? []).map((t) => t.tag).sort(),
        mentions: (mentionsByPost.get(row.id) ?? []).map((m) => m.username).sort(),
        media: await Promise.all(
          (mediaByPost.get(row.id) ?? []).map(async (m) => ({
            id: m.id,
            width: m.width,
            height: m.height,
            thumbhash: m.thumbhash,
            alt_text: m.alt_text,
            urls: await deliveryUrls(deps, { id: m.id, ownerId: m.owner_id }),
          })),
        ),
        like_count: row.like_count,
        comment_count: row.comment_count,
        viewer: viewerId === null ? null : { liked: flag?.liked === 1, saved: flag?.saved === 1 },
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    }),
  );
}
