import type { BrowserContext } from "playwright-core";
import { type ApiUser, apiCall, apiMedia, photo } from "./api";
import { appUrl, PASSWORD } from "./browser";

let addresses = 0;
/**
 * A simulated client address. The Worker limits sign-ups and sign-ins per address
 * (`cf-connecting-ip`, which a client may send itself under `wrangler dev`); without one every
 * request of the test run is one address, and a file with a few people in it hits the limit.
 */
export function freshAddress(): string {
  addresses += 1;
  return `198.18.${(process.pid + addresses) % 250}.${addresses % 250}`;
}

async function post<T>(path: string, body: unknown, address: string): Promise<T> {
  const res = await fetch(`${appUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": address },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Like api.ts's apiUser, each person from their own address. */
export async function apiPerson(username: string, options: { private?: boolean } = {}): Promise<ApiUser> {
  const address = freshAddress();
  await post("/v1/auth/signup", { username, email: `${username}@example.com`, password: PASSWORD }, address);
  const session = await post<{ access_token: string; user: { id: string } }>(
    "/v1/auth/login",
    { login: username, password: PASSWORD },
    address,
  );
  const user = { id: session.user.id, username, token: session.access_token };
  if (options.private) await apiCall("PATCH", "/v1/me", user.token, { is_private: true });
  return user;
}

/** Gives a browser window its own client address, as a person on their own device has. */
export async function ownAddress(context: BrowserContext): Promise<void> {
  await context.setExtraHTTPHeaders({ "cf-connecting-ip": freshAddress() });
}

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
