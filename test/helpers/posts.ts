import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { newId } from "../../src/platform/ids";
import { api } from "./api";
import type { TestUser } from "./factories";

/** A ready image of `owner`, inserted directly (the upload pipeline has its own tests). */
export async function readyMedia(owner: TestUser): Promise<string> {
  const id = newId();
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO media (id, owner_id, status, declared_type, declared_size, content_type, byte_size, width, height,
       thumbhash, original_key, master_key, created_at, updated_at)
     VALUES (?1, ?2, 'ready', 'image/jpeg', 100, 'image/jpeg', 100, 1080, 1350, 'AAAA', ?3, ?4, ?5, ?5)`,
  )
    .bind(id, owner.id, `media/${owner.id}/${id}/original`, `media/${owner.id}/${id}/master.webp`, now)
    .run();
  return id;
}

export interface PostBody {
  id: string;
  author: { id: string; username: string };
  caption: string;
  audience: string;
  hashtags: string[];
  mentions: string[];
  media: { id: string; alt_text: string; urls: Record<string, string> }[];
  like_count: number;
  comment_count: number;
  viewer: { liked: boolean; saved: boolean } | null;
}

export async function publish(author: TestUser, body: Record<string, unknown> = {}): Promise<PostBody> {
  const media_ids = (body.media_ids as string[] | undefined) ?? [await readyMedia(author)];
  const res = await api("POST", "/v1/posts", { token: author.accessToken, body: { ...body, media_ids } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as PostBody;
}

export async function postCounters(id: string) {
  return env.DB.prepare("SELECT like_count, comment_count FROM posts WHERE id = ?")
    .bind(id)
    .first<{ like_count: number; comment_count: number }>();
}
