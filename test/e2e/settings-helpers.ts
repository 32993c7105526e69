import type { Browser, BrowserContext, Page } from "playwright-core";
import type { ApiUser } from "./api";
import { appUrl, DESKTOP, PASSWORD } from "./browser";

/**
 * The settings tests sign many accounts up and in, past the per-address sign-up and sign-in
 * limits (5 and 10 a minute). Under `wrangler dev` a client names its own address with
 * `cf-connecting-ip` (src/http/rate-limit.ts), so each account and each browser here is a
 * different person on a different address, as they would be in real life.
 */
let next = 0;
function address(): string {
  next += 1;
  return `203.0.${Math.floor(Math.random() * 200) + 20}.${next % 250}`;
}

async function post<T>(path: string, ip: string, body: unknown): Promise<T> {
  const res = await fetch(`${appUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Signs a new account up and in through the API, from an address of its own. */
export async function settingsUser(username: string): Promise<ApiUser> {
  const ip = address();
  await post("/v1/auth/signup", ip, { username, email: `${username}@example.com`, password: PASSWORD });
  const session = await post<{ access_token: string; user: { id: string } }>("/v1/auth/login", ip, {
    login: username,
    password: PASSWORD,
  });
  return { id: session.user.id, username, token: session.access_token };
}

/** A person's own browser window (like newUserPage), from an address of its own. */
export async function settingsPage(
  browser: Browser,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: appUrl,
    viewport,
    extraHTTPHeaders: { "cf-connecting-ip": address() },
  });
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  return { context, page };
}
