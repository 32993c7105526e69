import sharp from "sharp";
import { expect } from "vitest";
import { appUrl, freshAddress, PASSWORD } from "./browser";

/**
 * Setting up a browser test's world through the HTTP API (fast), so each test drives in the
 * browser only the part it is about. Every call here is the public API a client would use.
 */
export interface ApiUser {
  id: string;
  username: string;
  token: string;
}

async function call<T>(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  address?: string,
): Promise<T> {
  const res = await fetch(`${appUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(address ? { "cf-connecting-ip": address } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export const apiCall = call;

/** Signs a new account up and in through the API, from a client address of its own. */
export async function apiUser(username: string, options: { private?: boolean } = {}): Promise<ApiUser> {
  const address = freshAddress();
  const credentials = { username, email: `${username}@example.com`, password: PASSWORD };
  await call("POST", "/v1/auth/signup", null, credentials, address);
  const session = await call<{ access_token: string; user: { id: string } }>(
    "POST",
    "/v1/auth/login",
    null,
    { login: username, password: PASSWORD },
    address,
  );
  const user = { id: session.user.id, username, token: session.access_token };
  if (options.private) await call("PATCH", "/v1/me", user.token, { is_private: true });
  return user;
}

export async function apiFollow(follower: ApiUser, username: string): Promise<void> {
  await call("POST", `/v1/users/${username}/follow`, follower.token);
}

/** A real photo (JPEG from sharp): a gradient with a coloured square, so thumbnails show something. */
export async function photo(hue = 200, size = 900): Promise<Buffer> {
  const square = await sharp({
    create: { width: size / 3, height: size / 3, channels: 3, background: { r: 255, g: 200, b: 40 } },
  })
    .png()
    .toBuffer();
  return sharp({
    create: {
      width: size,
      height: size,
      channels: 3,
      background: { r: (hue * 3) % 256, g: (hue * 7) % 256, b: hue % 256 },
    },
  })
    .composite([{ input: square, left: size / 3, top: size / 3 }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Uploads a photo through a signed URL and waits until the server has processed it. */
export async function apiMedia(user: ApiUser, bytes?: Buffer): Promise<string> {
  const body = bytes ?? (await photo());
  const ticket = await call<{ media_id: string; upload_url: string; upload_headers: Record<string, string> }>(
    "POST",
    "/v1/media",
    user.token,
    { content_type: "image/jpeg", byte_size: body.length },
  );
  const put = await fetch(ticket.upload_url, { method: "PUT", headers: ticket.upload_headers, body });
  expect(put.ok, `upload answered ${put.status}`).toBe(true);
  await call("POST", `/v1/media/${ticket.media_id}/complete`, user.token);
  await expect
    .poll(async () => (await call<{ status: string }>("GET", `/v1/media/${ticket.media_id}`, user.token)).status, {
      timeout: 60_000,
      interval: 250,
    })
    .toBe("ready");
  return ticket.media_id;
}

/** Posts one photo with a caption through the API; answers the post's id. */
export async function apiPost(
  user: ApiUser,
  caption: string,
  options: { audience?: "public" | "followers" | "close_friends"; alt?: string } = {},
): Promise<string> {
  const media = await apiMedia(user);
  const post = await call<{ id: string }>("POST", "/v1/posts", user.token, {
    media_ids: [media],
    caption,
    alt_texts: [options.alt ?? `A test photo for ${caption}`],
    ...(options.audience ? { audience: options.audience } : {}),
  });
  return post.id;
}
