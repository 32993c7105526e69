import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { api } from "./api";
import type { TestUser } from "./factories";

export async function deleteAccount(user: TestUser): Promise<string> {
  const res = await api("DELETE", "/v1/me", { token: user.accessToken, body: { password: user.password } });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { deletion_scheduled_for: string }).deletion_scheduled_for;
}

/** Moves the account's deletion `days` into the past, as if the grace period had run. */
export async function backdateDeletion(user: TestUser, days: number): Promise<void> {
  const at = new Date(Date.now() - days * 86_400_000).toISOString();
  await env.DB.prepare("UPDATE users SET deleted_at = ?1 WHERE id = ?2").bind(at, user.id).run();
}
