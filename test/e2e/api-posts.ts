import { type ApiUser, apiCall, apiMedia, photo } from "./api";

/** A post of several photos (each its own colour and alt text) through the API; answers its id. */
export async function apiCarouselPost(user: ApiUser, caption: string, alts: string[]): Promise<string> {
  const media: string[] = [];
  for (const [i] of alts.entries()) media.push(await apiMedia(user, await photo(40 + i * 70)));
  const created = await apiCall<{ id: string }>("POST", "/v1/posts", user.token, {
    media_ids: media,
    caption,
    alt_texts: alts,
  });
  return created.id;
}
