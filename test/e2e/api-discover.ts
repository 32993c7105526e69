import type { Browser, BrowserContext, Page } from "playwright-core";
import { type ApiUser, apiCall, apiMedia, photo } from "./api";
import { DESKTOP, freshAddress, newUserPage, PASSWORD } from "./browser";

/**
 * Discovery and live helpers for the browser tests: reads through the public API, so a test can
 * wait until the server sees what it set up (search is indexed by triggers, but a test should not
 * rely on how) before it drives the screens.
 */
export async function apiSearch(
  user: ApiUser,
  q: string,
  type: "accounts" | "tags" | "posts",
): Promise<{ items: Record<string, unknown>[] }> {
  return apiCall("GET", `/v1/search?q=${encodeURIComponent(q)}&type=${type}`, user.token);
}

/** The usernames (accounts) or tags that a search answers. */
export async function apiSearchNames(user: ApiUser, q: string, type: "accounts" | "tags"): Promise<string[]> {
  const page = await apiSearch(user, q, type);
  return page.items.map((item) => String(type === "accounts" ? item.username : item.tag));
}

export async function apiTag(
  user: ApiUser,
  tag: string,
): Promise<{ tag: string; post_count: number; following: boolean }> {
  return apiCall("GET", `/v1/tags/${encodeURIComponent(tag)}`, user.token);
}

/** The ids of sessions live now that `user` may watch (of accounts they follow). */
export async function apiLiveNow(user: ApiUser): Promise<string[]> {
  const list = await apiCall<{ items: { id: string }[] }>("GET", "/v1/live", user.token);
  return list.items.map((s) => s.id);
}

export async function apiLiveStatus(user: ApiUser, id: string): Promise<string> {
  return (await apiCall<{ status: string }>("GET", `/v1/live/${id}`, user.token)).status;
}

/** Posts one photo of the given hue (so a grid of test posts is not one picture repeated). */
export async function apiPhotoPost(user: ApiUser, caption: string, alt: string, hue: number): Promise<string> {
  const media = await apiMedia(user, await photo(hue));
  const post = await apiCall<{ id: string }>("POST", "/v1/posts", user.token, {
    media_ids: [media],
    caption,
    alt_texts: [alt],
  });
  return post.id;
}

const REFRESH_KEY = "edgegram.refresh_token";

/**
 * A browser window signed in as `account`, starting at `path` without the sign-in form: a new
 * session is made for it through the API and its refresh token stored before the app starts
 * (once: the app rotates it as it starts). Each window has a session of its own, so a test that
 * fails midway leaves no spent token behind for the next (the server treats a reused refresh
 * token as theft and ends that session).
 */
export async function openAs(
  browser: Browser,
  account: ApiUser,
  path: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const session = await apiCall<{ refresh_token: string }>(
    "POST",
    "/v1/auth/login",
    null,
    { login: account.username, password: PASSWORD },
    freshAddress(),
  );
  const { context, page } = await newUserPage(browser, viewport);
  await context.addInitScript(
    ([key, token]) => {
      // The root tsconfig has no DOM types: this runs in the page, where localStorage exists.
      const storage = (globalThis as unknown as { localStorage: Storage }).localStorage;
      if (storage.getItem(`${key}.seeded`) === null) {
        storage.setItem(key, token);
        storage.setItem(`${key}.seeded`, "1");
      }
    },
    [REFRESH_KEY, session.refresh_token] as const,
  );
  await page.goto(path);
  // The app trades the stored token for a new one as it starts; leaving the page before that
  // answer is stored would leave the browser holding a spent token. The frame shows once signed in.
  await page.getByRole("navigation", { name: "Main" }).first().waitFor({ state: "attached" });
  return { context, page, close: () => context.close() };
}

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Opens a live session through the API (comments-only here: the e2e server has no Stream). */
export async function apiOpenLive(user: ApiUser, title: string): Promise<Record<string, unknown> & { id: string }> {
  return apiCall("POST", "/v1/live", user.token, { title });
}

export async function apiEndLive(user: ApiUser, id: string): Promise<void> {
  await apiCall("POST", `/v1/live/${id}/end`, user.token, {});
}
