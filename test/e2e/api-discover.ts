import type { Browser, BrowserContext, Page } from "playwright-core";
import { type ApiUser, apiCall, apiMedia, photo } from "./api";
import { appUrl, DESKTOP, newUserPage, PASSWORD } from "./browser";

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
 * A made-up client address for one simulated person. Signups and logins are limited per address
 * (5 and 10 a minute) and the whole e2e run comes from one machine, so each account set up here
 * arrives from its own address (`cf-connecting-ip`, which `wrangler dev` takes from the client:
 * src/http/rate-limit.ts) and leaves the machine's own budget to the tests that sign up by form.
 */
function addressFor(username: string): string {
  let hash = 0;
  for (const char of username) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${hash & 255}`;
}

/** One request, retried while the server's rate limiter still says so. */
async function patiently(method: string, path: string, body: unknown, address: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${appUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", "cf-connecting-ip": address },
      body: JSON.stringify(body),
    });
    if (res.status !== 429 || attempt >= 4) {
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
      return res;
    }
    const wait = Number(res.headers.get("retry-after") ?? "10");
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 1), 60) * 1000));
  }
}

export interface ApiAccount extends ApiUser {
  /** A refresh token of its own session, for a browser to start signed in (see `openAs`). */
  refresh: string;
}

/**
 * Signs a new account up and in through the API from its own address (see `addressFor`), and keeps
 * the refresh token so a browser can start signed in without another login on the sign-in form
 * (the shell tests cover that form).
 */
export async function apiAccount(username: string): Promise<ApiAccount> {
  const address = addressFor(username);
  await patiently(
    "POST",
    "/v1/auth/signup",
    { username, email: `${username}@example.com`, password: PASSWORD },
    address,
  );
  const res = await patiently("POST", "/v1/auth/login", { login: username, password: PASSWORD }, address);
  const session = (await res.json()) as { access_token: string; refresh_token: string; user: { id: string } };
  return { id: session.user.id, username, token: session.access_token, refresh: session.refresh_token };
}

/**
 * A browser window signed in as `account`: its refresh token is stored before the app starts
 * (once: the app rotates it afterwards and a stale one would revoke the session), then `path`
 * opens. `close()` keeps the token the app rotated to, so the next window of this account starts
 * with a live one (the server treats a reused refresh token as theft).
 */
export async function openAs(
  browser: Browser,
  account: ApiAccount,
  path: string,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
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
    [REFRESH_KEY, account.refresh] as const,
  );
  await page.goto(path);
  // The app trades the stored token for a new one as it starts; leaving the page before that
  // answer is stored would leave the browser holding a spent token. The frame shows once signed in.
  await page.getByRole("navigation", { name: "Main" }).first().waitFor({ state: "attached" });
  return {
    context,
    page,
    async close() {
      const token = await page
        .evaluate((key) => (globalThis as unknown as { localStorage: Storage }).localStorage.getItem(key), REFRESH_KEY)
        .catch(() => null);
      if (token) account.refresh = token;
      await context.close();
    },
  };
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
