import { expect } from "vitest";
import type { TestUser } from "./factories";
import { act, makeStaff } from "./staff";

/*
 * Moderation actions for tests, taken through the staff API (`POST /v1/admin/subjects/…/actions`)
 * by an admin made once per test file, so the surfaces are tested against what a real action does.
 */

export type ModeratedType = "post" | "comment" | "story";

let admin: Promise<TestUser> | undefined;
const staff = () => {
  admin ??= makeStaff("admin");
  return admin;
};

async function take(type: string, id: string, action: string, note: string): Promise<void> {
  const res = await act(await staff(), type, id, action, { note });
  expect(res.status, await res.clone().text()).toBe(201);
}

/** Hides a post, comment or story (`hidden_at` set, with its reason). */
export async function hideForTest(type: ModeratedType, id: string, reason: string): Promise<void> {
  await take(type, id, "hide", reason);
}

/** Restores hidden content. */
export async function restoreForTest(type: ModeratedType, id: string): Promise<void> {
  await take(type, id, "restore", "restored by test");
}

/**
 * Suspends an account until lifted, through the staff API: its sessions end (its tokens are
 * refused from now on; sign in again after `unsuspendForTest`).
 */
export async function suspendForTest(userId: string, reason = "test suspension"): Promise<void> {
  await take("user", userId, "suspend", reason);
}

/** Lifts a suspension. */
export async function unsuspendForTest(userId: string): Promise<void> {
  await take("user", userId, "unsuspend", "lifted by test");
}

/** Hides (or shows again) an account's bio. */
export async function hideBioForTest(userId: string, hidden = true): Promise<void> {
  if (hidden) await take("user", userId, "hide", "bio hidden by test");
  else await take("user", userId, "restore", "bio restored by test");
}
