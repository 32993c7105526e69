// `BENCH_ONLY=cpu npm run bench`: the Worker's CPU time per request for every operation in the
// served OpenAPI document (issue 21). Seeds accounts, a follow graph, photos (real JPEG bytes through
// the upload flow), posts, comments, conversations, stories and live sessions through the public API,
// then, for each operation, a few warm-up requests and a measured set under a V8 CPU profile of the
// Worker's isolate (bench/profile.mjs says how samples become microseconds and why not workerd's
// own accounting). Mutating operations get fresh inputs per request (N posts to like then unlike,
// N accounts to follow, unfollow, block…). An operation without a builder is reported as not
// measured and fails the run's coverage check.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { analyse, bundleMap, connectInspector, effectivePeriod, INTERVAL_US } from "./profile.mjs";
import { json, local, readyImage, root } from "./worker.mjs";

export const WARM = 5;
export const N = Number(process.env.BENCH_CPU_N ?? 30);
const K = WARM + N;
/** Operations that hash a password (PBKDF2, 100,000 iterations): exempt from the 2 ms line. */
export const PASSWORD_HASHING = new Set([
  "postAuthSignup",
  "postAuthLogin",
  "postAuthPasswordResetConfirm",
  "deleteMe",
  "patchMeEmail",
  "putMePassword",
]);
export const LIMIT_US = 2000;

/** The Worker settings this run needs (bench/run.mjs passes them to startWorker). */
export const cpuWorkerOptions = {
  inspect: true,
  // Requests, Durable Objects and queue consumers each in an isolate of their own, as deployed: the
  // request isolate's profile then holds no consumer work (whose stacks lose their caller after an
  // await, so they cannot be told apart by stack), and the objects' CPU is reported on its own.
  split: true,
  unlimited: true,
  bindings: {
    DEV_MAILBOX: "1",
    MEDIA_UPLOADS_PER_30_MIN: "100000",
    CAPTIONS_PER_DAY: "100000",
    // Caption suggestions need a configured provider to answer 202 (503 otherwise); the job that
    // would call it runs later on the queue and fails against this closed port, which the request
    // does not see.
    OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    OPENAI_API_KEY: "sk-bench-not-a-key",
    STREAM_WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ip = () => `10.2.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
let seq = 0;
const unique = (prefix) => `${prefix}${Date.now().toString(36)}${(seq++).toString(36)}`;

/** One request; any status outside `expect` (default: 2xx) is an error, never a figure. */
async function call(url, method, path, { token, body, raw, headers = {}, expect } = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      "cf-connecting-ip": ip(),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  const text = await res.text();
  const ok = expect ? expect.includes(res.status) : res.status >= 200 && res.status < 300;
  if (!ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text && (res.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
}

/** Opens a WebSocket, waits for its first frame (the server's `ready`), closes it and waits for the close. */
function socket(url, path) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}${path}`);
    const timer = setTimeout(() => reject(new Error(`${path}: no frame in 5 s`)), 5000);
    ws.addEventListener("message", () => ws.close(1000, "bench"), { once: true });
    ws.addEventListener("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.addEventListener("error", () => reject(new Error(`${path}: socket error`)));
  });
}

async function photo() {
  return sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 40, g: 120, b: 90 } } })
    .composite([
      {
        input: Buffer.from('<svg width="400" height="300"><circle cx="200" cy="150" r="120" fill="orange"/></svg>'),
        top: 150,
        left: 200,
      },
    ])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A photo of noise, different for each `i`: the blocklist's entries must not collapse into one. */
function noisePhoto() {
  return sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A Web Push subscription's keys: a P-256 public point (65 bytes) and a 16-byte secret. */
function pushKeys() {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return { p256dh: point.toString("base64url"), auth: randomBytes(16).toString("base64url") };
}

async function account(url, name, password = "bench password") {
  const email = `${name}@bench.test`;
  const session = await json(url, "/v1/auth/signup", { username: name, email, password });
  return { id: session.user.id, username: name, email, password, token: session.access_token };
}

async function mailToken(url, to, subject) {
  for (let i = 0; i < 200; i++) {
    const { items } = await call(url, "GET", `/dev/mailbox?to=${encodeURIComponent(to)}`);
    const mail = items.find((m) => subject.test(m.subject));
    const link = mail && /\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
    if (link) return link[1];
    await sleep(100);
  }
  throw new Error(`no mail to ${to} matching ${subject}`);
}

async function until(what, check) {
  for (let i = 0; i < 300; i++) {
    const value = await check();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Seeds through the API. `me` reads, likes, comments, follows; `bob` posts (K posts from photos
 * uploaded in the media operations); `pool` are K public accounts, each with a ready photo for a
 * story and a caption request; `carol` and `dana` are private (follow requests); `staff` is an admin.
 */
async function seed(url, db, log) {
  const started = performance.now();
  const bytes = await photo();
  const me = await account(url, unique("cpu_me"));
  const bob = await account(url, unique("cpu_bob"));
  const carol = await account(url, unique("cpu_carol"));
  const dana = await account(url, unique("cpu_dana"));
  const staffAccount = await account(url, unique("cpu_staff"));
  await db.prepare("UPDATE users SET role = 'admin' WHERE id = ?1").bind(staffAccount.id).run();
  const staff = {
    ...staffAccount,
    token: (await json(url, "/v1/auth/login", { login: staffAccount.username, password: staffAccount.password }))
      .access_token,
  };
  for (const who of [carol, dana]) await call(url, "PATCH", "/v1/me", { token: who.token, body: { is_private: true } });
  const pool = [];
  for (let i = 0; i < K; i++) pool.push(await account(url, unique(`cpu_p${i}_`)));
  for (const p of pool) {
    await call(url, "POST", `/v1/users/${p.username}/follow`, { token: me.token, body: {} });
    p.media = await readyImage(url, p.token, bytes);
  }
  await call(url, "POST", `/v1/users/${bob.username}/follow`, { token: me.token, body: {} });
  await call(url, "POST", `/v1/users/${me.username}/follow`, { token: bob.token, body: {} });
  const photos = [];
  for (let i = 0; i < K; i++) photos.push(await noisePhoto());
  log(`seeded ${K + 5} accounts and ${K} photos in ${Math.round(performance.now() - started)} ms`);
  return { me, bob, carol, dana, staff, pool, bytes, photos };
}

/**
 * Per operation: `(ctx) => thunks` (K of them: WARM warm-ups, then the measured ones), run in this
 * order, which is the order the seeding and earlier operations make possible (media before posts,
 * likes before unlikes, stories before their highlights…). `variant` names a second set of one
 * operation (the feed's KV-cold read).
 */
function builders(url) {
  const api = (method, path, opts) => call(url, method, path, opts);
  const times = (f) => Array.from({ length: K }, (_, i) => () => f(i));
  const tickets = async (token, scope) => {
    const out = [];
    for (let i = 0; i < K; i++)
      out.push((await api("POST", "/v1/realtime/tickets", { token, body: { scope } })).ticket);
    return out;
  };
  return [
    ["getLivez", () => times(() => api("GET", "/livez"))],
    ["getHealthz", () => times(() => api("GET", "/healthz"))],
    // Accounts: sign-up, its mailed verification, a password reset, then sign-in and sessions.
    [
      "postAuthSignup",
      (c) => {
        c.signups = Array.from({ length: K }, () => ({ username: unique("cpu_s"), password: "bench password" }));
        for (const s of c.signups) s.email = `${s.username}@bench.test`;
        return times((i) => api("POST", "/v1/auth/signup", { body: c.signups[i] }));
      },
    ],
    [
      "postAuthVerifyEmail",
      async (c) => {
        for (const s of c.signups) s.verify = await mailToken(url, s.email, /verify/i);
        return times((i) => api("POST", "/v1/auth/verify-email", { body: { token: c.signups[i].verify } }));
      },
    ],
    [
      "postAuthPasswordReset",
      (c) => times((i) => api("POST", "/v1/auth/password-reset", { body: { email: c.signups[i].email } })),
    ],
    [
      "postAuthPasswordResetConfirm",
      async (c) => {
        for (const s of c.signups) s.reset = await mailToken(url, s.email, /reset/i);
        return times((i) => {
          c.signups[i].password = "bench password 2";
          return api("POST", "/v1/auth/password-reset/confirm", {
            body: { token: c.signups[i].reset, new_password: "bench password 2" },
          });
        });
      },
    ],
    [
      "postAuthLogin",
      (c) => times(() => api("POST", "/v1/auth/login", { body: { login: c.me.username, password: c.me.password } })),
    ],
    [
      "postAuthRefresh",
      async (c) => {
        let refresh = (await json(url, "/v1/auth/login", { login: c.bob.username, password: c.bob.password }))
          .refresh_token;
        return times(async () => {
          refresh = (await api("POST", "/v1/auth/refresh", { body: { refresh_token: refresh } })).refresh_token;
        });
      },
    ],
    [
      "postAuthLogout",
      async (c) => {
        const sessions = [];
        for (let i = 0; i < K; i++)
          sessions.push(await json(url, "/v1/auth/login", { login: c.bob.username, password: c.bob.password }));
        return times((i) => api("POST", "/v1/auth/logout", { body: { refresh_token: sessions[i].refresh_token } }));
      },
    ],
    ["getMe", (c) => times(() => api("GET", "/v1/me", { token: c.me.token }))],
    ["patchMe", (c) => times((i) => api("PATCH", "/v1/me", { token: c.me.token, body: { bio: `bench bio ${i}` } }))],
    ["postMeEmailVerification", (c) => times(() => api("POST", "/v1/me/email/verification", { token: c.me.token }))],
    [
      "patchMeEmail",
      (c) =>
        times(() =>
          api("PATCH", "/v1/me/email", {
            token: c.me.token,
            body: { email: `${unique("cpu_mail")}@bench.test`, password: c.me.password },
          }),
        ),
    ],
    ["getDevMailbox", (c) => times(() => api("GET", `/dev/mailbox?to=${encodeURIComponent(c.me.email)}`))],
    ["getMeSessions", (c) => times(() => api("GET", "/v1/me/sessions", { token: c.me.token }))],
    [
      "deleteMeSessionsById",
      async (c) => {
        const { items } = await api("GET", "/v1/me/sessions", { token: c.me.token });
        const others = items.filter((s) => !s.current).map((s) => s.id);
        if (others.length < K) throw new Error(`only ${others.length} other sessions`);
        return times((i) => api("DELETE", `/v1/me/sessions/${others[i]}`, { token: c.me.token }));
      },
    ],
    [
      "postMeSessionsRevokeOthers",
      (c) => times(() => api("POST", "/v1/me/sessions/revoke-others", { token: c.me.token })),
    ],
    [
      "putMePassword",
      async (c) => {
        const who = c.signups[0];
        const token = (await json(url, "/v1/auth/login", { login: who.username, password: who.password })).access_token;
        return times(async () => {
          const next = who.password === "bench password 2" ? "bench password 3" : "bench password 2";
          await api("PUT", "/v1/me/password", {
            token,
            body: { current_password: who.password, new_password: next },
          });
          who.password = next;
        });
      },
    ],
    [
      "deleteMe",
      async (c) => {
        for (const s of c.signups)
          s.token = (await json(url, "/v1/auth/login", { login: s.username, password: s.password })).access_token;
        return times((i) =>
          api("DELETE", "/v1/me", { token: c.signups[i].token, body: { password: c.signups[i].password } }),
        );
      },
    ],
    [
      "postMeRestore",
      async (c) => {
        for (const s of c.signups)
          s.token = (await json(url, "/v1/auth/login", { login: s.username, password: s.password })).access_token;
        return times((i) => api("POST", "/v1/me/restore", { token: c.signups[i].token, body: {} }));
      },
    ],
    // Media: bob's K uploads (ticket, bytes, completion), which become his posts below.
    [
      "postMedia",
      (c) => {
        c.uploads = [];
        return times(async (i) => {
          c.uploads.push(
            await api("POST", "/v1/media", {
              token: c.bob.token,
              body: { content_type: "image/jpeg", byte_size: c.photos[i].length },
            }),
          );
        });
      },
    ],
    [
      "putUploadsById",
      (c) =>
        times((i) =>
          api("PUT", new URL(c.uploads[i].upload_url).pathname + new URL(c.uploads[i].upload_url).search, {
            raw: c.photos[i],
          }),
        ),
    ],
    [
      "postMediaByIdComplete",
      (c) => times((i) => api("POST", `/v1/media/${c.uploads[i].media_id}/complete`, { token: c.bob.token, body: {} })),
    ],
    [
      "getMediaById",
      async (c) => {
        for (const u of c.uploads)
          await until("media ready", async () => {
            const m = await api("GET", `/v1/media/${u.media_id}`, { token: c.bob.token });
            return m.status === "ready";
          });
        return times((i) => api("GET", `/v1/media/${c.uploads[i].media_id}`, { token: c.bob.token }));
      },
    ],
    [
      "getMediaByOwnerByIdBySize",
      async (c) => {
        const media = await api("GET", `/v1/media/${c.uploads[0].media_id}`, { token: c.bob.token });
        const small = new URL(local(url, media.urls.small));
        await api("GET", small.pathname + small.search, { headers: { accept: "image/webp" } });
        return times(() => api("GET", small.pathname + small.search, { headers: { accept: "image/webp" } }));
      },
    ],
    [
      "postMediaByIdCaptionSuggestions",
      (c) =>
        times((i) =>
          api("POST", `/v1/media/${c.pool[i].media.id}/caption-suggestions`, {
            token: c.pool[i].token,
            body: { tone: "casual" },
          }),
        ),
    ],
    [
      "getMediaByIdCaptionSuggestions",
      (c) =>
        times((i) => api("GET", `/v1/media/${c.pool[i].media.id}/caption-suggestions`, { token: c.pool[i].token })),
    ],
    // Posts: bob publishes from his K uploads; me likes, saves and comments.
    [
      "postPosts",
      (c) => {
        c.posts = [];
        return times(async (i) => {
          c.posts.push(
            await api("POST", "/v1/posts", {
              token: c.bob.token,
              headers: { "idempotency-key": unique("k") },
              body: {
                media_ids: [c.uploads[i].media_id],
                caption: `Evening light #sunset #bench${i} with @${c.me.username}`,
                alt_texts: ["an orange circle on green"],
                audience: "public",
              },
            }),
          );
        });
      },
    ],
    ["getPostsById", (c) => times((i) => api("GET", `/v1/posts/${c.posts[i].id}`, { token: c.me.token }))],
    [
      "patchPostsById",
      (c) =>
        times((i) =>
          api("PATCH", `/v1/posts/${c.posts[0].id}`, {
            token: c.bob.token,
            body: { caption: `Evening light #sunset edit ${i}` },
          }),
        ),
    ],
    [
      "postPostsByIdLike",
      (c) => times((i) => api("POST", `/v1/posts/${c.posts[i].id}/like`, { token: c.me.token, body: {} })),
    ],
    ["getPostsByIdLikes", (c) => times(() => api("GET", `/v1/posts/${c.posts[0].id}/likes`, { token: c.bob.token }))],
    [
      "deletePostsByIdLike",
      (c) => times((i) => api("DELETE", `/v1/posts/${c.posts[i].id}/like`, { token: c.me.token, body: {} })),
    ],
    [
      "postPostsByIdSave",
      (c) => times((i) => api("POST", `/v1/posts/${c.posts[i].id}/save`, { token: c.me.token, body: {} })),
    ],
    ["getMeSaved", (c) => times(() => api("GET", "/v1/me/saved", { token: c.me.token }))],
    [
      "deletePostsByIdSave",
      (c) => times((i) => api("DELETE", `/v1/posts/${c.posts[i].id}/save`, { token: c.me.token, body: {} })),
    ],
    [
      "postPostsByIdComments",
      (c) => {
        c.comments = [];
        return times(async (i) => {
          c.comments.push(
            await api("POST", `/v1/posts/${c.posts[i].id}/comments`, {
              token: c.me.token,
              body: { body: `Lovely light #sunset @${c.bob.username} ${i}` },
            }),
          );
        });
      },
    ],
    [
      "getPostsByIdComments",
      async (c) => {
        for (let i = 0; i < 10; i++)
          await api("POST", `/v1/posts/${c.posts[0].id}/comments`, {
            token: c.bob.token,
            body: { body: `reply ${i}` },
          });
        return times(() => api("GET", `/v1/posts/${c.posts[0].id}/comments`, { token: c.me.token }));
      },
    ],
    [
      "getPostsByIdCommentsLive",
      async (c) => {
        const t = await tickets(c.me.token, `post:${c.posts[0].id}`);
        return times((i) => socket(url, `/v1/posts/${c.posts[0].id}/comments/live?ticket=${t[i]}`));
      },
    ],
    [
      "deleteCommentsById",
      (c) => times((i) => api("DELETE", `/v1/comments/${c.comments[i].id}`, { token: c.me.token, body: {} })),
    ],
    [
      "getFeed",
      async (c) => {
        // The fan-out runs on the feed queue: wait until me's timeline holds bob's posts.
        await until(
          "feed fan-out",
          async () =>
            (await api("GET", "/v1/feed", { token: c.me.token, headers: { "cache-control": "no-cache" } })).items
              .length >= Math.min(20, K),
        );
        return times(() => api("GET", "/v1/feed", { token: c.me.token }));
      },
    ],
    [
      "getFeed",
      (c) => times(() => api("GET", "/v1/feed", { token: c.me.token, headers: { "cache-control": "no-cache" } })),
      "KV cold (cache-control: no-cache)",
    ],
    [
      "getUsersByUsernamePosts",
      (c) => times(() => api("GET", `/v1/users/${c.bob.username}/posts`, { token: c.me.token })),
    ],
    ["getUsersByUsername", (c) => times(() => api("GET", `/v1/users/${c.bob.username}`, { token: c.me.token }))],
    [
      "getUsersByUsernameFollowers",
      (c) => times(() => api("GET", `/v1/users/${c.me.username}/followers`, { token: c.bob.token })),
    ],
    [
      "getUsersByUsernameFollowing",
      (c) => times(() => api("GET", `/v1/users/${c.me.username}/following`, { token: c.bob.token })),
    ],
    // Search, tags, explore, suggestions.
    ["getSearch", (c) => times(() => api("GET", "/v1/search?type=accounts&q=cpu_p", { token: c.me.token }))],
    ["getExplore", (c) => times(() => api("GET", "/v1/explore", { token: c.carol.token }))],
    ["getTagsTrending", (c) => times(() => api("GET", "/v1/tags/trending", { token: c.me.token }))],
    ["getTagsByTag", (c) => times(() => api("GET", "/v1/tags/sunset", { token: c.me.token }))],
    ["getTagsByTagPosts", (c) => times(() => api("GET", "/v1/tags/sunset/posts", { token: c.me.token }))],
    [
      "postTagsByTagFollow",
      (c) => times((i) => api("POST", `/v1/tags/bench${i}/follow`, { token: c.me.token, body: {} })),
    ],
    [
      "deleteTagsByTagFollow",
      (c) => times((i) => api("DELETE", `/v1/tags/bench${i}/follow`, { token: c.me.token, body: {} })),
    ],
    ["getMeSuggestions", (c) => times(() => api("GET", "/v1/me/suggestions", { token: c.bob.token }))],
    [
      "deleteMeSuggestionsByUsername",
      (c) => times((i) => api("DELETE", `/v1/me/suggestions/${c.pool[i].username}`, { token: c.bob.token, body: {} })),
    ],
    // Stories: each pool account posts one from its photo; me views and replies.
    [
      "postStories",
      (c) => {
        c.stories = [];
        return times(async (i) => {
          c.stories.push(
            await api("POST", "/v1/stories", {
              token: c.pool[i].token,
              body: { media_id: c.pool[i].media.id, caption: "story", alt_text: "an orange circle" },
            }),
          );
        });
      },
    ],
    ["getStoriesTray", (c) => times(() => api("GET", "/v1/stories/tray", { token: c.me.token }))],
    ["getStoriesById", (c) => times((i) => api("GET", `/v1/stories/${c.stories[i].id}`, { token: c.me.token }))],
    [
      "getUsersByUsernameStories",
      (c) => times((i) => api("GET", `/v1/users/${c.pool[i].username}/stories`, { token: c.me.token })),
    ],
    [
      "postStoriesByIdView",
      (c) => times((i) => api("POST", `/v1/stories/${c.stories[i].id}/view`, { token: c.me.token, body: {} })),
    ],
    [
      "getStoriesByIdViewers",
      (c) => times((i) => api("GET", `/v1/stories/${c.stories[i].id}/viewers`, { token: c.pool[i].token })),
    ],
    [
      "postStoriesByIdReply",
      (c) =>
        times((i) =>
          api("POST", `/v1/stories/${c.stories[i].id}/reply`, {
            token: c.me.token,
            body: { body: "nice one", client_id: unique("r") },
          }),
        ),
    ],
    [
      "postHighlights",
      (c) => {
        c.highlights = [];
        return times(async (i) => {
          c.highlights.push(
            await api("POST", "/v1/highlights", {
              token: c.pool[i].token,
              body: { title: "Best of", story_ids: [c.stories[i].id] },
            }),
          );
        });
      },
    ],
    [
      "getUsersByUsernameHighlights",
      (c) => times((i) => api("GET", `/v1/users/${c.pool[i].username}/highlights`, { token: c.me.token })),
    ],
    ["getMeStoriesArchive", (c) => times((i) => api("GET", "/v1/me/stories/archive", { token: c.pool[i].token }))],
    [
      "deleteHighlightsById",
      (c) => times((i) => api("DELETE", `/v1/highlights/${c.highlights[i].id}`, { token: c.pool[i].token, body: {} })),
    ],
    [
      "deleteStoriesById",
      (c) => times((i) => api("DELETE", `/v1/stories/${c.stories[i].id}`, { token: c.pool[i].token, body: {} })),
    ],
    // Chat: me's 1:1s with each pool account (requests on their side), a 1:1 with bob, groups to leave.
    [
      "postConversations",
      (c) => {
        c.dms = [];
        return times(async (i) => {
          c.dms.push(
            await api("POST", "/v1/conversations", { token: c.me.token, body: { usernames: [c.pool[i].username] } }),
          );
        });
      },
    ],
    ["getConversations", (c) => times(() => api("GET", "/v1/conversations", { token: c.me.token }))],
    [
      "getConversationsById",
      (c) => times((i) => api("GET", `/v1/conversations/${c.dms[i].id}`, { token: c.me.token })),
    ],
    [
      "postConversationsByIdAccept",
      (c) => times((i) => api("POST", `/v1/conversations/${c.dms[i].id}/accept`, { token: c.pool[i].token, body: {} })),
    ],
    [
      "postConversationsByIdMessages",
      async (c) => {
        c.chat = await api("POST", "/v1/conversations", { token: c.me.token, body: { usernames: [c.bob.username] } });
        c.messages = [];
        return times(async (i) => {
          c.messages.push(
            await api("POST", `/v1/conversations/${c.chat.id}/messages`, {
              token: c.me.token,
              body: { body: `message ${i}`, client_id: unique("m") },
            }),
          );
        });
      },
    ],
    [
      "getConversationsByIdMessages",
      (c) => times(() => api("GET", `/v1/conversations/${c.chat.id}/messages`, { token: c.bob.token })),
    ],
    [
      "postConversationsByIdRead",
      (c) =>
        times((i) =>
          api("POST", `/v1/conversations/${c.chat.id}/read`, {
            token: c.bob.token,
            body: { message_id: (c.messages[i].message ?? c.messages[i]).id },
          }),
        ),
    ],
    [
      "postConversationsByIdLeave",
      async (c) => {
        const groups = [];
        for (let i = 0; i < K; i++)
          groups.push(
            await api("POST", "/v1/conversations", {
              token: c.me.token,
              body: { usernames: [c.bob.username, c.pool[i].username], title: `group ${i}` },
            }),
          );
        return times((i) => api("POST", `/v1/conversations/${groups[i].id}/leave`, { token: c.me.token, body: {} }));
      },
    ],
    [
      "postRealtimeTickets",
      (c) =>
        times(() =>
          api("POST", "/v1/realtime/tickets", { token: c.me.token, body: { scope: `conversation:${c.chat.id}` } }),
        ),
    ],
    [
      "getConversationsByIdWs",
      async (c) => {
        const t = await tickets(c.me.token, `conversation:${c.chat.id}`);
        return times((i) => socket(url, `/v1/conversations/${c.chat.id}/ws?ticket=${t[i]}`));
      },
    ],
    [
      "getRealtime",
      async (c) => {
        const t = await tickets(c.me.token, "user");
        return times((i) => socket(url, `/v1/realtime?ticket=${t[i]}`));
      },
    ],
    // Live: each pool account hosts a comments-only session; me watches the first.
    [
      "postLive",
      (c) => {
        c.lives = [];
        return times(async (i) => {
          c.lives.push(await api("POST", "/v1/live", { token: c.pool[i].token, body: { title: `live ${i}` } }));
        });
      },
    ],
    [
      "postLiveByIdStart",
      (c) => times((i) => api("POST", `/v1/live/${c.lives[i].id}/start`, { token: c.pool[i].token, body: {} })),
    ],
    ["getLive", (c) => times(() => api("GET", "/v1/live", { token: c.me.token }))],
    ["getLiveById", (c) => times((i) => api("GET", `/v1/live/${c.lives[i].id}`, { token: c.me.token }))],
    [
      "getLiveByIdComments",
      (c) => times((i) => api("GET", `/v1/live/${c.lives[i].id}/comments`, { token: c.me.token })),
    ],
    [
      "getLiveByIdWs",
      async (c) => {
        const t = await tickets(c.me.token, `live:${c.lives[0].id}`);
        return times((i) => socket(url, `/v1/live/${c.lives[0].id}/ws?ticket=${t[i]}`));
      },
    ],
    [
      "postLiveByIdEnd",
      (c) => times((i) => api("POST", `/v1/live/${c.lives[i].id}/end`, { token: c.pool[i].token, body: {} })),
    ],
    [
      "postWebhooksStreamLive",
      () =>
        times(() =>
          api("POST", "/webhooks/stream/live", {
            headers: { "cf-webhook-auth": cpuWorkerOptions.bindings.STREAM_WEBHOOK_SECRET },
            body: {
              name: "bench",
              data: { input_id: "0123456789abcdef0123456789abcdef", event_type: "live_input.connected" },
            },
          }),
        ),
    ],
    // Notifications (bob's: likes, comments, mentions) and push subscriptions, one per pool account
    // (an account keeps a bounded number of subscriptions: more would drop the oldest).
    ["getNotifications", (c) => times(() => api("GET", "/v1/notifications", { token: c.bob.token }))],
    [
      "getNotificationsUnreadCount",
      (c) => times(() => api("GET", "/v1/notifications/unread_count", { token: c.bob.token })),
    ],
    [
      "postNotificationsRead",
      async (c) => {
        const { items } = await api("GET", "/v1/notifications", { token: c.bob.token });
        if (items.length === 0) throw new Error("bob has no notifications");
        const ids = items.map((g) => g.most_recent_notification_id).sort();
        return times((i) =>
          api("POST", "/v1/notifications/read", {
            token: c.bob.token,
            body: { last_read_id: ids[Math.min(i, ids.length - 1)] },
          }),
        );
      },
    ],
    [
      "getMeNotificationSettings",
      (c) => times(() => api("GET", "/v1/me/notification-settings", { token: c.me.token })),
    ],
    [
      "patchMeNotificationSettings",
      (c) =>
        times((i) =>
          api("PATCH", "/v1/me/notification-settings", {
            token: c.me.token,
            body: { like: i % 2 ? "all" : "following" },
          }),
        ),
    ],
    ["getPushVapidPublicKey", () => times(() => api("GET", "/v1/push/vapid-public-key"))],
    [
      "postPushSubscriptions",
      (c) => {
        c.endpoints = Array.from({ length: K }, (_, i) => `https://push.example.com/send/${unique(`e${i}`)}`);
        return times((i) =>
          api("POST", "/v1/push/subscriptions", {
            token: c.pool[i].token,
            body: { endpoint: c.endpoints[i], keys: pushKeys() },
          }),
        );
      },
    ],
    [
      "deletePushSubscriptions",
      (c) =>
        times((i) =>
          api("DELETE", "/v1/push/subscriptions", { token: c.pool[i].token, body: { endpoint: c.endpoints[i] } }),
        ),
    ],
    // The graph: requests to the private accounts, me's followers, close friends, follow cycles,
    // mutes and blocks (blocks last: they remove follows both ways).
    [
      "getMeFollowRequests",
      async (c) => {
        for (const p of c.pool)
          for (const who of [c.carol, c.dana])
            await api("POST", `/v1/users/${who.username}/follow`, { token: p.token, body: {} });
        return times(() => api("GET", "/v1/me/follow-requests", { token: c.carol.token }));
      },
    ],
    [
      "postMeFollowRequestsByUsernameApprove",
      (c) =>
        times((i) =>
          api("POST", `/v1/me/follow-requests/${c.pool[i].username}/approve`, { token: c.carol.token, body: {} }),
        ),
    ],
    [
      "postMeFollowRequestsByUsernameDeny",
      (c) =>
        times((i) =>
          api("POST", `/v1/me/follow-requests/${c.pool[i].username}/deny`, { token: c.dana.token, body: {} }),
        ),
    ],
    [
      "putMeCloseFriendsByUsername",
      (c) => times((i) => api("PUT", `/v1/me/close-friends/${c.pool[i].username}`, { token: c.me.token, body: {} })),
    ],
    ["getMeCloseFriends", (c) => times(() => api("GET", "/v1/me/close-friends", { token: c.me.token }))],
    [
      "deleteMeCloseFriendsByUsername",
      (c) => times((i) => api("DELETE", `/v1/me/close-friends/${c.pool[i].username}`, { token: c.me.token, body: {} })),
    ],
    [
      "deleteMeFollowersByUsername",
      async (c) => {
        for (const p of c.pool) await api("POST", `/v1/users/${c.me.username}/follow`, { token: p.token, body: {} });
        return times((i) => api("DELETE", `/v1/me/followers/${c.pool[i].username}`, { token: c.me.token, body: {} }));
      },
    ],
    [
      "deleteUsersByUsernameFollow",
      (c) => times((i) => api("DELETE", `/v1/users/${c.pool[i].username}/follow`, { token: c.me.token, body: {} })),
    ],
    [
      "postUsersByUsernameFollow",
      (c) => times((i) => api("POST", `/v1/users/${c.pool[i].username}/follow`, { token: c.me.token, body: {} })),
    ],
    [
      "postUsersByUsernameMute",
      (c) => times((i) => api("POST", `/v1/users/${c.pool[i].username}/mute`, { token: c.me.token, body: {} })),
    ],
    ["getMeMutes", (c) => times(() => api("GET", "/v1/me/mutes", { token: c.me.token }))],
    [
      "deleteUsersByUsernameMute",
      (c) => times((i) => api("DELETE", `/v1/users/${c.pool[i].username}/mute`, { token: c.me.token, body: {} })),
    ],
    [
      "postUsersByUsernameBlock",
      (c) => times((i) => api("POST", `/v1/users/${c.pool[i].username}/block`, { token: c.me.token, body: {} })),
    ],
    ["getMeBlocks", (c) => times(() => api("GET", "/v1/me/blocks", { token: c.me.token }))],
    [
      "deleteUsersByUsernameBlock",
      (c) => times((i) => api("DELETE", `/v1/users/${c.pool[i].username}/block`, { token: c.me.token, body: {} })),
    ],
    // Moderation: me reports bob's posts, staff hides them, bob appeals; the blocklist last (its
    // entries would refuse later uploads of the same photo until deleted).
    [
      "postReports",
      (c) =>
        times((i) =>
          api("POST", "/v1/reports", {
            token: c.me.token,
            body: { target: { type: "post", id: c.posts[i].id }, reason: "spam" },
          }),
        ),
    ],
    ["getAdminReports", (c) => times(() => api("GET", "/v1/admin/reports", { token: c.staff.token }))],
    [
      "getAdminSubjectsByTypeById",
      (c) => times((i) => api("GET", `/v1/admin/subjects/post/${c.posts[i].id}`, { token: c.staff.token })),
    ],
    [
      "postAdminSubjectsByTypeByIdActions",
      (c) =>
        times((i) =>
          api("POST", `/v1/admin/subjects/post/${c.posts[i].id}/actions`, {
            token: c.staff.token,
            body: { action: "hide", note: "bench" },
          }),
        ),
    ],
    [
      "postAppeals",
      (c) =>
        times((i) =>
          api("POST", "/v1/appeals", {
            token: c.bob.token,
            body: { subject: { type: "post", id: c.posts[i].id }, note: "please" },
          }),
        ),
    ],
    ["getAdminAudit", (c) => times(() => api("GET", "/v1/admin/audit", { token: c.staff.token }))],
    [
      "postAdminMediaBlocklist",
      (c) => {
        c.blocked = [];
        return times(async (i) => {
          c.blocked.push(
            await api("POST", "/v1/admin/media-blocklist", {
              token: c.staff.token,
              body: { media_id: c.uploads[i].media_id, note: "bench" },
            }),
          );
        });
      },
    ],
    ["getAdminMediaBlocklist", (c) => times(() => api("GET", "/v1/admin/media-blocklist", { token: c.staff.token }))],
    [
      "deleteAdminMediaBlocklistById",
      (c) => times((i) => api("DELETE", `/v1/admin/media-blocklist/${c.blocked[i].id}`, { token: c.staff.token })),
    ],
    [
      "deletePostsById",
      (c) => times((i) => api("DELETE", `/v1/posts/${c.posts[i].id}`, { token: c.bob.token, body: {} })),
    ],
    // Exports: one per pool account; the ready one of the first is read and downloaded.
    ["postMeExport", (c) => times((i) => api("POST", "/v1/me/export", { token: c.pool[i].token, body: {} }))],
    [
      "getMeExport",
      async (c) => {
        c.export = await until("export ready", async () => {
          const e = await api("GET", "/v1/me/export", { token: c.pool[0].token });
          return e.status === "ready" ? e : null;
        });
        return times(() => api("GET", "/v1/me/export", { token: c.pool[0].token }));
      },
    ],
    [
      "getExportsById",
      (c) => {
        const u = new URL(c.export.url);
        return times(() => api("GET", u.pathname + u.search));
      },
    ],
  ];
}

/** Seeds, measures every operation of the served document, and returns the `cpu` section. */
export async function benchCpu(mf, url, log) {
  const db = await mf.getD1Database("DB");
  const doc = await call(url, "GET", "/openapi.json");
  const operations = [];
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      if (op?.operationId) operations.push({ operationId: op.operationId, method: method.toUpperCase(), path });
  const ctx = await seed(url, db, log);
  const inspector = await connectInspector(mf, "edgegram");
  const objects = await connectInspector(mf, "edgegram-objects");
  const moduleAt = bundleMap(root);
  const runs = [];
  const gaps = [];
  const profiles = {};
  try {
    for (const [operationId, build, variant] of builders(url)) {
      const thunks = await build(ctx);
      for (const t of thunks.slice(0, WARM)) await t();
      // Let the warm-ups' queued jobs start first; what still lands in the window is told apart by
      // its stack (queue consumers and Durable Objects are counted apart from the request).
      await sleep(150);
      await inspector.start();
      await objects.start();
      const started = performance.now();
      try {
        for (const t of thunks.slice(WARM)) await t();
      } finally {
        const wall = performance.now() - started;
        const profile = await inspector.stop();
        const objectsProfile = await objects.stop();
        const feed = operationId === "getFeed";
        const result = analyse(profile, moduleAt, true);
        const inObjects = analyse(objectsProfile, moduleAt).counts;
        gaps.push(...result.gaps);
        runs.push({
          operationId,
          variant,
          requests: thunks.length - WARM,
          wall_ms: wall,
          ...result,
          objects: inObjects.request + inObjects.durable_object + inObjects.queue,
        });
        if (feed) profiles[variant ? "feed-page1-kv-cold" : "feed-page1-kv-warm"] = profile;
      }
    }
  } finally {
    inspector.close();
    objects.close();
  }
  const period = effectivePeriod(gaps);
  if (period === null) throw new Error("too few samples to measure the sampler's period");
  const us = (samples, n) => Math.round((samples * period) / n);
  const top = (o, n, count) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => ({ what: k, us_per_request: us(v, count) }));
  const byOp = new Map(operations.map((o) => [o.operationId, o]));
  const rows = runs.map((r) => {
    const op = byOp.get(r.operationId);
    if (!op) throw new Error(`builder for ${r.operationId}, which the document does not have`);
    return {
      operationId: r.operationId,
      method: op.method,
      path: op.path,
      variant: r.variant ?? null,
      requests: r.requests,
      cpu_us: us(r.counts.request, r.requests),
      gc_us: us(r.categories["(garbage collector)"] ?? 0, r.requests),
      durable_object_us: us(r.objects, r.requests),
      samples: r.counts.request,
      wall_ms_per_request: Number((r.wall_ms / r.requests).toFixed(2)),
      hashes_password: PASSWORD_HASHING.has(r.operationId),
      over_2ms: !PASSWORD_HASHING.has(r.operationId) && us(r.counts.request, r.requests) > LIMIT_US,
      // Where the time went, for the operations over the line only (the file stays small).
      ...(!PASSWORD_HASHING.has(r.operationId) && us(r.counts.request, r.requests) > LIMIT_US
        ? { top_categories: top(r.categories, 5, r.requests), top_functions: top(r.functions, 8, r.requests) }
        : {}),
    };
  });
  const measured = new Set(rows.map((r) => r.operationId));
  const notMeasured = operations.filter((o) => !measured.has(o.operationId));
  // The feed's profiles: saved for Chrome DevTools (Performance panel, "Load profile"), and the
  // request samples by category and by function.
  const feed = {};
  for (const r of runs.filter((x) => x.operationId === "getFeed")) {
    const name = r.variant ? "kv_cold" : "kv_warm";
    const file = join("bench", "results", `feed-page1-${name.replace("_", "-")}.cpuprofile`);
    writeFileSync(join(root, file), JSON.stringify(profiles[r.variant ? "feed-page1-kv-cold" : "feed-page1-kv-warm"]));
    const table = (o, top) =>
      Object.entries(o)
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, v]) => ({
          what: k,
          us_per_request: us(v, r.requests),
          share: `${Math.round((v / r.counts.request) * 100)}%`,
        }));
    feed[name] = {
      cpu_us: us(r.counts.request, r.requests),
      profile: file,
      by_category: table(r.categories, 20),
      top_functions: table(r.functions, 15),
    };
  }
  return {
    method:
      "V8 CPU profile of the Worker's isolate through workerd's inspector; samples fall only while the isolate is locked; µs = request samples × the sampler's measured period / requests (bench/profile.mjs)",
    sampling_interval_us: INTERVAL_US,
    effective_period_us: period,
    warm_up_requests: WARM,
    measured_requests: N,
    operations_in_document: operations.length,
    operations: rows,
    not_measured: notMeasured,
    over_2ms: rows.filter((r) => r.over_2ms).map((r) => r.operationId),
    password_hashing: rows
      .filter((r) => r.hashes_password)
      .map((r) => ({ operationId: r.operationId, cpu_us: r.cpu_us })),
    feed_page1: feed,
  };
}
