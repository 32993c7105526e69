// Gives the demo accounts something to look at in the web client: once `npm start`'s Worker is up,
// alice and bob each post a few photos (real JPEGs made here with sharp, uploaded through the
// public API as any client would: signed upload URL, processing, post), alice follows bob, and
// bob posts a story. Runs only when alice has no posts yet, so restarts add nothing twice.
//
//   node scripts/seed-content.mjs <port>     (scripts/task.sh starts it beside `wrangler dev`)
import sharp from "sharp";

const base = `http://127.0.0.1:${process.argv[2] ?? "8787"}`;
/** The demo accounts' password (scripts/seed.mjs, which runs on import, so it is not imported). */
const DEMO_PASSWORD = "edgegram-demo";

async function call(method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

async function waitForWorker() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the Worker did not come up");
}

/** A simple landscape: sky, sun and hills in the given palette. */
function scene({ sky, sun, hill }, seed) {
  const w = 1080;
  const h = 1080;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>
    <rect width="${w}" height="${h}" fill="url(#s)"/>
    <circle cx="${300 + seed * 90}" cy="${330 + seed * 20}" r="110" fill="${sun}"/>
    <path d="M0 ${760 - seed * 30} Q ${w / 3} ${560 + seed * 25} ${w / 2} ${700} T ${w} ${640 + seed * 15} V ${h} H 0 Z" fill="${hill[0]}"/>
    <path d="M0 ${880} Q ${w / 4} ${780 - seed * 10} ${w / 2} ${860} T ${w} ${820} V ${h} H 0 Z" fill="${hill[1]}"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 82 }).toBuffer();
}

const PALETTES = [
  { sky: ["#f59e0b", "#fde68a"], sun: "#fff7ed", hill: ["#92400e", "#451a03"] },
  { sky: ["#1e3a8a", "#60a5fa"], sun: "#fef9c3", hill: ["#065f46", "#022c22"] },
  { sky: ["#be185d", "#fbcfe8"], sun: "#fff1f2", hill: ["#4c1d95", "#1e1b4b"] },
  { sky: ["#0f766e", "#99f6e4"], sun: "#fefce8", hill: ["#3f6212", "#1a2e05"] },
];

async function upload(token, bytes) {
  const ticket = await call("POST", "/v1/media", token, { content_type: "image/jpeg", byte_size: bytes.length });
  const put = await fetch(ticket.upload_url, { method: "PUT", headers: ticket.upload_headers, body: bytes });
  if (!put.ok) throw new Error(`upload: ${put.status}`);
  await call("POST", `/v1/media/${ticket.media_id}/complete`, token);
  for (let i = 0; i < 240; i++) {
    const media = await call("GET", `/v1/media/${ticket.media_id}`, token);
    if (media.status === "ready") return ticket.media_id;
    if (media.status === "failed") throw new Error("processing failed");
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("processing did not finish");
}

const login = async (name) =>
  (await call("POST", "/v1/auth/login", null, { login: name, password: DEMO_PASSWORD })).access_token;

async function main() {
  await waitForWorker();
  const alice = await login("alice");
  const existing = await call("GET", "/v1/users/alice/posts?limit=1", alice);
  if (existing.items.length > 0) return;
  const bob = await login("bob");
  await call("POST", "/v1/users/bob/follow", alice).catch(() => undefined);
  const posts = [
    [
      bob,
      1,
      "Morning above the clouds #mountains #sunrise",
      "Blue sky over dark green hills, a pale sun high on the left",
    ],
    [
      alice,
      0,
      "Golden hour on the ridge #film #sunset",
      "An amber sky fading to yellow over brown hills, a white sun low on the left",
    ],
    [bob, 3, "Valley walk with @alice #mountains", "A teal sky over olive-green hills and a pale sun"],
    [alice, 2, "Pink evening, last roll of the year #film", "A pink sky over purple hills with a soft white sun"],
  ];
  for (const [token, palette, caption, alt] of posts) {
    const id = await upload(token, await scene(PALETTES[palette], palette));
    await call("POST", "/v1/posts", token, { media_ids: [id], caption, alt_texts: [alt] });
  }
  const story = await upload(bob, await scene(PALETTES[1], 2));
  await call("POST", "/v1/stories", bob, { media_id: story, caption: "Dawn on the ridge" }).catch((error) =>
    console.warn(`seed-content: story not posted (${error.message})`),
  );
  console.log("seed-content: demo photos posted for alice and bob");
}

main().catch((error) => console.warn(`seed-content: ${error.message}`));
