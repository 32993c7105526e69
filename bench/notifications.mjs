// The notifications section of `npm run bench`:
// - consumer throughput: notify events (likes of one post, follows, system messages: a third each,
//   every one writing a notification) run through the consumer's own function by /bench/notify in
//   batches of BATCH, as a queue batch would be; figure = notifications written per second of wall
//   time, seen from outside the Worker;
// - the list read (GET /v1/notifications, 20 groups) and the unread count against the trivial
//   route, interleaved in one run;
// - live delivery: a like over HTTP until its frame arrives on the author's UserHub socket, through
//   the real queue, SAMPLES times.
const ACTORS = 600;
const BATCH = 60;
const SAMPLES = 20;

const aid = (i) => `01JN${String(i).padStart(22, "0")}`;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function seedRecipient(db, json, url, readyImage, photo) {
  const name = `bench_n_${Date.now().toString(36)}`;
  const session = await json(url, "/v1/auth/signup", {
    username: name,
    email: `${name}@bench.test`,
    password: "bench password",
  });
  const recipient = { id: session.user.id, token: session.access_token };
  const now = new Date().toISOString();
  const old = new Date(Date.now() - 90 * 24 * 3600_000).toISOString();
  await db
    .prepare(
      `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[1]') || '@bench.test', 'x', ?2, ?2
       FROM json_each(?1)`,
    )
    .bind(JSON.stringify(Array.from({ length: ACTORS }, (_, i) => [aid(i), `${name}_a${i}`])), old)
    .run();
  // Every actor follows the recipient (a follow notification checks the edge still exists).
  await db
    .prepare(
      `INSERT INTO follows (follower_id, followee_id, id, created_at)
       SELECT value, ?2, value || ?2, ?3 FROM json_each(?1)`,
    )
    .bind(JSON.stringify(Array.from({ length: ACTORS }, (_, i) => aid(i))), recipient.id, now)
    .run();
  const posts = [];
  for (let i = 0; i < 3; i++) {
    const media = await readyImage(url, recipient.token, photo);
    posts.push((await json(url, "/v1/posts", { media_ids: [media.id], caption: `bench ${i}` }, recipient.token)).id);
  }
  return { recipient, posts, name };
}

/** Notifications written per second by the consumer's function, batch after batch. */
export async function consumerThroughput(url, seeded) {
  const { recipient, posts } = seeded;
  const events = [];
  for (let i = 0; i < ACTORS; i++) {
    const at = new Date().toISOString();
    const actor = aid(i);
    if (i % 3 === 0) events.push({ kind: "like", actor_id: actor, post_id: posts[i % posts.length], at });
    else if (i % 3 === 1) events.push({ kind: "follow", actor_id: actor, recipient_id: recipient.id, at });
    else
      events.push({
        kind: "direct",
        type: "system",
        recipient_id: recipient.id,
        actor_id: null,
        post_id: null,
        source_id: `bench-${i}`,
        text: "A message from the team",
        at,
      });
  }
  let written = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i += BATCH) {
    const res = await fetch(`${url}/bench/notify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: events.slice(i, i + BATCH) }),
    });
    if (!res.ok) throw new Error(`/bench/notify: ${res.status} ${await res.text()}`);
    written += (await res.json()).written;
  }
  const seconds = (performance.now() - started) / 1000;
  if (written !== events.length) throw new Error(`wrote ${written} of ${events.length}`);
  return { events: events.length, written, seconds: Number(seconds.toFixed(2)), per_s: Math.round(written / seconds) };
}

/** A like over HTTP until its frame reaches the author's hub socket, through the real queue. */
export async function liveLatency(json, url, seeded) {
  const { recipient, posts, name } = seeded;
  const { ticket } = await json(url, "/v1/realtime/tickets", { scope: "user" }, recipient.token);
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/realtime?ticket=${ticket}`);
  const waiting = new Map();
  ws.addEventListener("message", (event) => {
    const frame = JSON.parse(String(event.data));
    if (frame.type !== "notification") return;
    for (const actor of frame.group.actors) waiting.get(actor.username)?.();
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  const times = [];
  for (let i = 0; i < SAMPLES; i++) {
    const liker = `${name}_l${i}`;
    const session = await json(url, "/v1/auth/signup", {
      username: liker,
      email: `${liker}@bench.test`,
      password: "bench password",
    });
    const arrived = new Promise((resolve, reject) => {
      waiting.set(liker, resolve);
      setTimeout(() => reject(new Error(`no frame for ${liker} in 10 s`)), 10_000);
    });
    const started = performance.now();
    await json(url, `/v1/posts/${posts[0]}/like`, {}, session.access_token);
    await arrived;
    times.push(performance.now() - started);
  }
  ws.close();
  times.sort((a, b) => a - b);
  return { samples: times.length, p50_ms: Math.round(percentile(times, 50)), max_ms: Math.round(times.at(-1)) };
}
