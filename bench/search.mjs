// The search section of `npm run bench` (BENCH_ONLY=search): on the feed section's seeded graph
// (bench/feed.mjs: 20,000 users, their follows, 10,000 posts), captions with words and hashtags
// and 100,000 likes are added, then search (each type) and explore's page 1 are loaded against the
// trivial and one-D1-read routes in the same run.
import { insertRows, pid, rng, uid } from "./feed.mjs";

const WORDS = [
  "sunset",
  "beach",
  "coffee",
  "mountain",
  "city",
  "night",
  "morning",
  "café",
  "garden",
  "river",
  "snow",
  "street",
  "market",
  "forest",
  "desert",
  "bridge",
  "harbor",
  "festival",
  "museum",
  "train",
];
const LIKES = Number(process.env.BENCH_LIKES ?? 100_000);

/** Captions (three words, one or two of them as hashtags) and likes on the seeded posts. */
export async function seedSearch(db, graph, log) {
  const random = rng(20261129);
  const started = performance.now();
  const pick = () => WORDS[Math.floor(random() * WORDS.length)];
  const posts = Array.from({ length: graph.posts }, (_, i) => {
    const [a, b, c] = [pick(), pick(), pick()];
    return [pid(i), `${a} and ${b} by the ${c} #${a} #${b}`, [a, b]];
  });
  // The caption update fires the FTS trigger for each post.
  await insertRows(
    db,
    `UPDATE posts SET caption = (SELECT json_extract(value, '$[1]') FROM json_each(?1) WHERE json_extract(value, '$[0]') = posts.id)
     WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each(?1))`,
    posts.map(([id, caption]) => [id, caption]),
    500,
  );
  const tags = posts.flatMap(([id, , t]) => [...new Set(t)].map((tag) => [id, tag]));
  await insertRows(
    db,
    `INSERT OR IGNORE INTO post_hashtags (post_id, tag) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)`,
    tags,
  );
  await db
    .prepare("INSERT OR REPLACE INTO hashtags (tag, post_count) SELECT tag, COUNT(*) FROM post_hashtags GROUP BY tag")
    .run();
  const now = new Date().toISOString();
  const likes = new Map();
  while (likes.size < LIKES) {
    const user = Math.floor(random() ** 2 * graph.users);
    const post = Math.floor(random() ** 1.5 * graph.posts);
    likes.set(`${user}:${post}`, [pid(post), uid(user), `01JL${String(likes.size).padStart(22, "0")}`]);
  }
  await insertRows(
    db,
    `INSERT OR IGNORE INTO likes (post_id, user_id, id, created_at)
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), '${now}' FROM json_each(?1)`,
    [...likes.values()],
  );
  await db.prepare("UPDATE posts SET like_count = (SELECT COUNT(*) FROM likes WHERE likes.post_id = posts.id)").run();
  log(
    `seeded captions, ${tags.length} post tags and ${likes.size} likes in ${Math.round(performance.now() - started)} ms`,
  );
  return { likes: likes.size, post_tags: tags.length };
}

/** A reader who liked a few of the seeded posts (so co-engagement has something to go on). */
export async function searcher(db, json, url, name) {
  const session = await json(url, "/v1/auth/signup", {
    username: name,
    email: `${name}@bench.test`,
    password: "bench password",
  });
  const id = session.user.id;
  const now = new Date().toISOString();
  await db
    .prepare(
      `INSERT OR IGNORE INTO likes (post_id, user_id, id, created_at)
       SELECT value, ?1, ?1 || value, ?2 FROM json_each(?3)`,
    )
    .bind(id, now, JSON.stringify(Array.from({ length: 30 }, (_, i) => pid(i * 7))))
    .run();
  return { id, token: session.access_token };
}
