import type { z } from "@hono/zod-openapi";
import { type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import {
  likes,
  type MediaRow,
  media,
  postHashtags,
  postMedia,
  postMentions,
  posts,
  saves,
  users,
} from "../../db/schema";
import type { Platform } from "../../platform";
import { cachedAll } from "../../platform/db";
import { accountShownSql, contentShownSql } from "../../policy";
import { deliveryUrls } from "../media/media.service";
import { parseUserSummary, userSummaryJson } from "../users/user-summary";
import { type PostRow, type PostsAlias, postColumnsSql, type UsersAlias } from "./posts.repo";
import { moderationMark, type PostSchema } from "./posts.schema";

export type Post = z.infer<typeof PostSchema>;

export type HydrateDeps = Pick<Platform, "db" | "config" | "clock" | "origin">;

/**
 * Everything a post card shows, as columns of ONE statement over `posts p JOIN users u ON u.id =
 * p.author_id`, for `viewer` ("" for anonymous): the author, the images (with positions, as a JSON
 * array), hashtags, mentions (suspended accounts left out) and the viewer's flags. Nested lists
 * come back as JSON text, so a page of posts is a single D1 statement rather than a batch of one
 * statement per kind of child row.
 */
export function cardColumnsSql(viewer: string, p: PostsAlias, u: UsersAlias): SQL {
  const pm = alias(postMedia, "pm");
  const m = alias(media, "m");
  const mm = alias(postMentions, "mm");
  const mu = alias(users, "mu");
  return sql`${postColumnsSql(p)}, ${userSummaryJson(u)} AS author,
    (SELECT json_group_array(json_array(${pm.position}, ${m.id}, ${m.owner_id}, ${m.width}, ${m.height}, ${m.thumbhash}, ${pm.alt_text}))
       FROM ${postMedia} ${pm} JOIN ${media} ${m} ON ${m.id} = ${pm.media_id} WHERE ${pm.post_id} = ${p.id}) AS media_json,
    (SELECT json_group_array(${postHashtags.tag}) FROM ${postHashtags} WHERE ${postHashtags.post_id} = ${p.id}) AS tags_json,
    (SELECT json_group_array(${mu.username}) FROM ${postMentions} ${mm} JOIN ${users} ${mu} ON ${mu.id} = ${mm.user_id}
       AND ${accountShownSql(viewer, mu)}
       WHERE ${mm.post_id} = ${p.id}) AS mentions_json,
    EXISTS (SELECT 1 FROM ${likes} WHERE ${likes.post_id} = ${p.id} AND ${likes.user_id} = ${viewer}) AS liked,
    EXISTS (SELECT 1 FROM ${saves} WHERE ${saves.post_id} = ${p.id} AND ${saves.user_id} = ${viewer}) AS saved`;
}

/** A row of `cardColumnsSql`. Flags are SQLite's 0/1 (the query is raw SQL); `author` is `userSummaryJson`. */
export type CardRow = PostRow & {
  author: string;
  media_json: string;
  tags_json: string;
  mentions_json: string;
  liked: number;
  saved: number;
};

type PostMediaRow = typeof postMedia.$inferSelect;
/** One image of `media_json`, in the order of its `json_array`. */
type MediaTuple = [
  PostMediaRow["position"],
  MediaRow["id"],
  MediaRow["owner_id"],
  MediaRow["width"],
  MediaRow["height"],
  MediaRow["thumbhash"],
  PostMediaRow["alt_text"],
];

/** Card rows (from `cardColumnsSql`) to API posts; media URLs are signed here. */
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
        author: await parseUserSummary(deps, row.author),
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
        // Non-null only for the author or staff: the reads that return a hidden post are theirs.
        moderation: moderationMark(row),
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    }),
  );
}

/** The cards of a JSON list of post ids, rendered once per isolate (cachedAll) for each `staff`. */
function cardsByIds(staff: boolean) {
  return cachedAll<CardRow, { viewer: string; idsJson: string }>(
    ({ viewer, idsJson }) => {
      const p = alias(posts, "p");
      const u = alias(users, "u");
      return sql`SELECT ${cardColumnsSql(viewer, p, u)} FROM ${posts} ${p} JOIN ${users} ${u} ON ${u.id} = ${p.author_id}
          WHERE ${p.id} IN (SELECT value FROM json_each(${idsJson})) AND ${contentShownSql(viewer, p, u, "read", staff)}`;
    },
    ["viewer", "idsJson"],
  );
}
const cardsForViewer = cardsByIds(false);
const cardsForStaff = cardsByIds(true);

/**
 * Turns post rows into API posts, in the order given, in ONE D1 statement (`cardColumnsSql`), with
 * the ids bound as one JSON parameter so no list can exceed D1's 100 bound parameters. The
 * caller has already decided the viewer may see these posts; as a last guard, the moderation rule
 * is asked again here in its widest form (a single read, `staff` the caller's flag), so a read path
 * that forgot it still never shows a suspended author's post, or a hidden one to anyone but its
 * author and staff. Lists that must leave hidden posts out for their author too filter before.
 */
export async function hydratePosts(
  deps: HydrateDeps,
  rows: PostRow[],
  viewerId: string | null,
  staff = false,
): Promise<Post[]> {
  if (rows.length === 0) return [];
  const query = staff ? cardsForStaff : cardsForViewer;
  const cards = await query(deps.db, { viewer: viewerId ?? "", idsJson: JSON.stringify(rows.map((r) => r.id)) });
  const byId = new Map(cards.map((r) => [r.id, r]));
  const ordered = rows.flatMap((r) => {
    const card = byId.get(r.id);
    return card ? [card] : [];
  });
  return cardsToPosts(deps, ordered, viewerId);
}
