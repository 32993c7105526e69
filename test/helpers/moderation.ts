import { env } from "cloudflare:workers";

/*
 * Moderation actions for tests, written straight to D1 as the staff API's statements would leave
 * the rows. The signatures are the ones the admin API helpers will keep.
 */

export type ModeratedType = "post" | "comment" | "story";

const TABLES: Record<ModeratedType, string> = { post: "posts", comment: "comments", story: "stories" };

/** Hides a post, comment or story (`hidden_at` set, with its reason). */
export async function hideForTest(type: ModeratedType, id: string, reason: string): Promise<void> {
  await env.DB.prepare(`UPDATE ${TABLES[type]} SET hidden_at = ?2, hidden_reason = ?3 WHERE id = ?1`)
    .bind(id, new Date().toISOString(), reason)
    .run();
}

/** Restores hidden content. */
export async function restoreForTest(type: ModeratedType, id: string): Promise<void> {
  await env.DB.prepare(`UPDATE ${TABLES[type]} SET hidden_at = NULL, hidden_reason = NULL WHERE id = ?1`)
    .bind(id)
    .run();
}

/** Suspends an account until lifted. */
export async function suspendForTest(userId: string, reason = "test suspension"): Promise<void> {
  await env.DB.prepare(
    "UPDATE users SET suspended_at = ?2, suspended_until = NULL, suspension_reason = ?3 WHERE id = ?1",
  )
    .bind(userId, new Date().toISOString(), reason)
    .run();
}

/** Lifts a suspension. */
export async function unsuspendForTest(userId: string): Promise<void> {
  await env.DB.prepare(
    "UPDATE users SET suspended_at = NULL, suspended_until = NULL, suspension_reason = NULL WHERE id = ?1",
  )
    .bind(userId)
    .run();
}

/** Hides (or shows again) an account's bio. */
export async function hideBioForTest(userId: string, hidden = true): Promise<void> {
  await env.DB.prepare("UPDATE users SET bio_hidden_at = ?2 WHERE id = ?1")
    .bind(userId, hidden ? new Date().toISOString() : null)
    .run();
}
