// The feed section of `npm run bench`: a synthetic graph from a fixed seed, then the feed against
// the naive pull feed, the trivial route and a one-D1-read route, interleaved in one run.
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const POSTS = Number(process.env.BENCH_POSTS ?? 10_000);
const MAX_FOLLOWS = 2_000;
const FANOUT_MAX = 10_000;

/** mulberry32: a small seeded PRNG, so every run builds the same graph. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uid = (i) => `01JB${String(i).padStart(22, "0")}`;
export const pid = (i) => `01JC${String(i).padStart(22, "0")}`;

export async function insertRows(db, sql, rows, size = 2_000) {
  for (let i = 0; i < rows.length; i += size)
    await db
      .prepare(sql)
      .bind(JSON.stringify(rows.slice(i, i + size)))
      .run();
}

/** Users, power-law follows (Zipf targets, Pareto out-degree capped at 2,000), posts, timelines. */
export async function seedGraph(db, log, url) {
  const random = rng(20261121);
  const started = performance.now();
  const now = new Date().toISOString();
  await insertRows(
    db,
    `INSERT INTO users (id, username, email, password_hash, created_at, updated_at)
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[1]') || '@bench.test', 'x', '${now}', '${now}'
     FROM json_each(?1)`,
    Array.from({ length: USERS }, (_, i) => [uid(i), `bench_u${i}`]),
  );
  // Zipf(1) over ranks: account 0 is the most followed.
  const harmonic = Array.from({ length: USERS }, (_, i) => 1 / (i + 1));
  const cumulative = [];
  let total = 0;
  for (const h of harmonic) {
    total += h;
    cumulative.push(total);
  }
  const pick = () => {
    const x = random() * total;
    let lo = 0;
    let hi = USERS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const edges = [];
  for (let i = 0; i < USERS; i++) {
    const degree = Math.min(MAX_FOLLOWS, Math.floor(10 / Math.max(random(), 1e-6) ** 0.8));
    const seen = new Set();
    for (let k = 0; k < degree * 2 && seen.size < degree; k++) {
      const target = pick();
      if (target !== i) seen.add(target);
    }
    for (const t of seen) edges.push([uid(i), uid(t), `${uid(i)}${uid(t)}`]);
  }
  await insertRows(
    db,
    `INSERT INTO follows (follower_id, followee_id, id, created_at)
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), '${now}' FROM json_each(?1)`,
    edges,
  );
  await db
    .prepare(
      "UPDATE users SET followers_count = (SELECT COUNT(*) FROM follows WHERE followee_id = users.id), following_count = (SELECT COUNT(*) FROM follows WHERE follower_id = users.id)",
    )
    .run();
  await insertRows(
    db,
    `INSERT INTO posts (id, author_id, caption, audience, like_count, comment_count, created_at, updated_at)
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'bench post', 'public', json_extract(value, '$[2]'), 0, '${now}', '${now}'
     FROM json_each(?1)`,
    Array.from({ length: POSTS }, (_, i) => [pid(i), uid(Math.floor(random() * USERS)), Math.floor(random() * 50)]),
  );
  // Timelines live in the partition objects: each post pushed to its author's followers through the
  // Worker (/bench/timeline-seed), as fan-out would have. Only the feed bench needs them.
  let timeline = 0;
  if (url) {
    for (let i = 0; i < POSTS; i += 500) {
      const res = await fetch(`${url}/bench/timeline-seed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ post_ids: Array.from({ length: Math.min(500, POSTS - i) }, (_, k) => pid(i + k)) }),
      });
      if (!res.ok) throw new Error(`timeline seed: ${res.status} ${await res.text()}`);
      timeline += (await res.json()).rows;
    }
  }
  const stats = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM follows) AS follows,
              (SELECT COUNT(*) FROM users WHERE followers_count > ${FANOUT_MAX}) AS above_threshold,
              (SELECT MAX(following_count) FROM users) AS max_following`,
    )
    .first();
  log(
    `seeded ${USERS} users, ${stats.follows} follows, ${POSTS} posts, ${timeline} timeline rows, ` +
      `${stats.above_threshold} accounts above the fan-out threshold in ${Math.round(performance.now() - started)} ms`,
  );
  return { users: USERS, posts: POSTS, timeline, ...stats };
}

/** A fresh account through the API: its session (user and tokens). */
function signUp(json, url, name) {
  return json(url, "/v1/auth/signup", { username: name, email: `${name}@bench.test`, password: "bench password" });
}

/** A signed-up reader following `n` accounts (none above the threshold) plus the top 3, whose posts are pulled. */
export async function reader(db, json, url, n, name) {
  const session = await signUp(json, url, name);
  const id = session.user.id;
  const now = new Date().toISOString();
  const targets = [0, 1, 2, ...Array.from({ length: n }, (_, i) => 100 + i * Math.floor((USERS - 200) / n))];
  await db
    .prepare(
      `INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at)
       SELECT ?1, value, ?1 || value, ?2 FROM json_each(?3)`,
    )
    .bind(id, now, JSON.stringify(targets.map(uid)))
    .run();
  const filled = await fetch(`${url}/bench/timeline-backfill`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: id }),
  });
  if (!filled.ok) throw new Error(`timeline backfill: ${filled.status}`);
  return { id, token: session.access_token, follows: targets.length };
}

/** Time from publishing until every follower's timeline holds the post (local queue included). */
export async function fanoutTime(db, json, url, followers, name) {
  const author = await signUp(json, url, name);
  const id = author.user.id;
  const now = new Date().toISOString();
  const ids = Array.from({ length: followers }, (_, i) => uid(i + 1000));
  await insertRows(
    db,
    `INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at)
     SELECT value, '${id}', value || '${id}', '${now}' FROM json_each(?1)`,
    ids,
  );
  await db.prepare("UPDATE users SET followers_count = ?2 WHERE id = ?1").bind(id, followers).run();
  const mediaId = `01JM${name.replace(/[^0-9]/g, "").padStart(22, "0")}`;
  await db
    .prepare(
      `INSERT INTO media (id, owner_id, status, declared_type, declared_size, original_key, master_key, created_at, updated_at)
       VALUES (?1, ?2, 'ready', 'image/jpeg', 1, 'k', 'k', ?3, ?3)`,
    )
    .bind(mediaId, id, now)
    .run();
  const started = performance.now();
  const post = await json(url, "/v1/posts", { media_ids: [mediaId] }, author.access_token);
  const createMs = performance.now() - started;
  for (;;) {
    const { n } = await (await fetch(`${url}/bench/timeline-count?post=${post.id}`)).json();
    if (n >= followers) break;
    if (performance.now() - started > 120_000) throw new Error("fan-out did not finish in 2 minutes");
    await new Promise((r) => setTimeout(r, 20));
  }
  const totalMs = performance.now() - started;
  // The same fan-out run inside the Worker with every range at once (as parallel consumers run
  // them), into 1, 2, 4 and 8 partition objects: the store's rate without the local queue's hops.
  const partitions = {};
  for (const count of PARTITION_COUNTS) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/bench/fanout`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ post_id: post.id, partitions: count }),
      });
      runs.push(await res.json());
    }
    // The first run inserts; later runs find every row there (idempotent), so time the first.
    const first = runs[0];
    partitions[count] = {
      delivered_ms: Math.round(first.ms),
      rows_per_s: Math.round(first.rows / (first.ms / 1000)),
      redelivery_ms: Math.round(median(runs.slice(1).map((r) => r.ms))),
    };
  }
  return {
    followers,
    post_create_ms: Math.round(createMs),
    delivered_ms_through_queue: Math.round(totalMs),
    rows_per_s_through_queue: Math.round(followers / (totalMs / 1000)),
    direct_by_partitions: partitions,
  };
}

// Not 16: that is wrangler.toml's count, whose objects the queued fan-out above already filled.
const PARTITION_COUNTS = [1, 2, 4, 8];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
