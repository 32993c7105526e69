import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { api } from "./api";
import type { TestUser } from "./factories";

export async function follow(a: TestUser, b: TestUser): Promise<string> {
  const res = await api("POST", `/v1/users/${b.username}/follow`, { token: a.accessToken });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { state: string }).state;
}

export async function makePrivate(user: TestUser, value = true): Promise<void> {
  const res = await api("PATCH", "/v1/me", { token: user.accessToken, body: { is_private: value } });
  expect(res.status).toBe(200);
}

export async function counters(user: TestUser) {
  return env.DB.prepare("SELECT followers_count, following_count FROM users WHERE id = ?")
    .bind(user.id)
    .first<{ followers_count: number; following_count: number }>();
}

export async function relationship(viewer: TestUser, other: TestUser) {
  const res = await api("GET", `/v1/users/${other.username}`, { token: viewer.accessToken });
  return { status: res.status, body: (await res.json()) as { relationship?: Record<string, boolean> } };
}

export async function usernames(res: Response): Promise<string[]> {
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as { items: { username: string }[] };
  return body.items.map((u) => u.username);
}
