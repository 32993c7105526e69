import type { z } from "@hono/zod-openapi";
import type { Platform } from "../../platform";
import { deliveryUrls } from "../media/media.service";
import type { PostRow } from "./posts.repo";
import type { PostSchema } from "./posts.schema";

export type Post = z.infer<typeof PostSchema>;

export type HydrateDeps = Pick<Platform, "db" | "config" | "clock" | "origin">;

/**
 * Everything a post card shows, as columns of ONE statement over `posts p JOIN users u ON u.id =
 * p.author_id`, the viewer bound at `?1`: the author, the images (with positions, as a JSON array),
 * hashtags, mentions and the viewer's flags. Nested lists come back as JSON text, so a page of
 * posts is a single D1 statement rather than a batch of one statement per kind of child row.
 */
export const CARD_COLUMNS = `p.id, p.author_id, p.caption, p.location, p.audience, p.like_count, p.comment_count,
  p.created_at, p.updated_at, u.username, u.display_name, u.avatar_media_id, u.is_private,
  (SELECT json_group_array(json_array(pm.position, m.id, m.owner_id, m.width, m.height, m.thumbhash, pm.alt_text))
     FROM post_media pm JOIN media m ON m.id = pm.media_id WHERE pm.post_id = p.id) AS media_json,
  (SELECT json_group_array(tag) FROM post_hashtags WHERE post_id = p.id) AS tags_json,
  (SELECT json_group_array(mu.username) FROM post_mentions mm JOIN users mu ON mu.id = mm.user_id
     WHERE mm.post_id = p.id) AS mentions_json,
  EXISTS (SELECT 1 FROM likes WHERE post_id = p.id AND user_id = ?1) AS liked,
  EXISTS (SELECT 1 FROM saves WHERE post_id = p.id AND user_id = ?1) AS saved`;

export interface CardRow extends PostRow {
  username: string;
  display_name: string;
  avatar_media_id: string | null;
  is_private: number;
  media_json: string;
  tags_json: string;
  mentions_json: string;
  liked: number;
  saved: number;
}

type MediaTuple = [number, string, string, number | null, number | null, string | null, string];

/** Card rows (from CARD_COLUMNS) to API posts; media URLs are signed here. */
export async function cardsToPosts(
  deps: Pick<HydrateDeps, "config" | "clock" | "origin">,
  rows: CardRow[],
  viewerId: string | null,
): Promise<Post[]> {
  return Promise.all(
    rows.map(async (row) => {
      const media = (JSON.parse(row.media_json) as MediaTuple[]).sort((a, b) => a[0] - b[0]);
      return {
        id: row.id,
        author: {
          id: row.author_id,
          username: row.username,
          display_name: row.display_name,
          avatar_media_id: row.avatar_media_id,
          is_private: row.is_private === 1,
        },
        caption: row.caption,
        location: row.location,
        audience: row.audience,
        hashtags: (JSON.parse(row.tags_json) as string[]).sort(),
        mentions: (JSON.parse(row.mentions_json) as string[]).sort(),
        media: await Promise.all(
          media.map(async ([, id, ownerId, width, height, thumbhash, altText]) => ({
            id,
            width,
            height,
            thumbhash,
            alt_text: altText,
            urls: await deliveryUrls(deps, { id, owner_id: ownerId }),
          })),
        ),
        like_count: row.like_count,
        comment_count: row.comment_count,
        viewer: viewerId === null ? null : { liked: row.liked === 1, saved: row.saved === 1 },
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    }),
  );
}

/**
 * Turns post rows into API posts, in the order given, in ONE D1 statement (CARD_COLUMNS), with
 * the ids bound as one JSON parameter so no list can exceed D1's 100 bound parameters. The
 * caller has already decided the viewer may see these posts.
 */
export async function hydratePosts(deps: HydrateDeps, rows: PostRow[], viewerId: string | null): Promise<Post[]> {
  if (rows.length === 0) return [];
  const { results } = await deps.db.$client
    .prepare(
      `SELECT ${CARD_COLUMNS} FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(viewerId ?? "", JSON.stringify(rows.map((r) => r.id)))
    .all<CardRow>();
  const byId = new Map(results.map((r) => [r.id, r]));
  const ordered = rows.flatMap((r) => {
    const card = byId.get(r.id);
    return card ? [card] : [];
  });
  return cardsToPosts(deps, ordered, viewerId);
}
