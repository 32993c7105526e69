// Seeds the local D1 database with demo accounts (idempotent: INSERT OR IGNORE), so that a new
// user of `npm start` can log in at once. Password hashes are made here exactly as the Worker
// makes them (src/features/auth/password.ts): PBKDF2-SHA256, 100,000 iterations, over an
// HMAC-SHA256 of the NFKC password keyed by PASSWORD_PEPPER from .dev.vars.
import { execFileSync } from "node:child_process";
import { createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export const DEMO_PASSWORD = "edgegram-demo";
export const DEMO_USERS = [
  {
    id: "01JD0000000000000000000A1C",
    username: "alice",
    display: "Alice Example",
    bio: "Film photos and coffee.",
    private: 0,
  },
  { id: "01JD0000000000000000000B0B", username: "bob", display: "Bob Example", bio: "Mountains, mostly.", private: 0 },
  {
    id: "01JD0000000000000000000CA1",
    username: "carol",
    display: "Carol Example",
    bio: "Private account.",
    private: 1,
  },
  // Staff: opens the review queue (`/v1/admin/reports`); roles are only ever set by scripts/admin.mjs
  // or this seed, never through the API (docs/moderation.md).
  {
    id: "01JD0000000000000000000D0D",
    username: "mod",
    display: "Mo Moderator",
    bio: "Keeps the demo tidy.",
    private: 0,
    role: "moderator",
  },
];

function devVar(name) {
  const text = readFileSync(join(root, ".dev.vars"), "utf8");
  const match = text.match(new RegExp(`^${name}\\s*=\\s*"?([^"\\n]*)"?`, "m"));
  if (!match) throw new Error(`${name} is missing from .dev.vars`);
  return match[1];
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

function hashPassword(password, pepper) {
  const peppered = createHmac("sha256", pepper).update(password.normalize("NFKC")).digest();
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(peppered, salt, 100_000, 32, "sha256");
  return `pbkdf2-sha256$100000$${b64url(salt)}$${b64url(hash)}`;
}

const sqlText = (s) => `'${String(s).replaceAll("'", "''")}'`;

const pepper = devVar("PASSWORD_PEPPER");
const now = new Date().toISOString();
const statements = DEMO_USERS.map(
  (u) =>
    `INSERT OR IGNORE INTO users (id, username, email, display_name, bio, is_private, password_hash, created_at, updated_at) VALUES (${[
      u.id,
      u.username,
      `${u.username}@demo.edgegram.dev`,
      u.display,
      u.bio,
    ]
      .map(sqlText)
      .join(", ")}, ${u.private}, ${sqlText(hashPassword(DEMO_PASSWORD, pepper))}, ${sqlText(now)}, ${sqlText(now)});`,
);

for (const u of DEMO_USERS) {
  if (u.role) statements.push(`UPDATE users SET role = ${sqlText(u.role)} WHERE id = ${sqlText(u.id)};`);
  // The demo addresses count as verified (README "Account lifecycle"); a reset still mails them.
  statements.push(
    `UPDATE users SET email_verified_at = ${sqlText(now)} WHERE id = ${sqlText(u.id)} AND email_verified_at IS NULL;`,
  );
}

// A 1:1 between alice and bob, so a chat client has a conversation to open. Messages live in the
// room's Durable Object, which loads its members from these rows on first use.
const [alice, bob] = DEMO_USERS;
const demoConversation = "01JD00000000000000000DEMO1";
statements.push(
  `INSERT OR IGNORE INTO conversations (id, kind, direct_key, created_by, created_at) VALUES (${[
    demoConversation,
    "direct",
    `${alice.id}:${bob.id}`,
    alice.id,
    now,
  ]
    .map(sqlText)
    .join(", ")});`,
  ...[alice, bob].map(
    (u) =>
      `INSERT OR IGNORE INTO conversation_members (conversation_id, user_id, folder, activity_id, joined_at) VALUES (${[
        demoConversation,
        u.id,
        "inbox",
        demoConversation,
        now,
      ]
        .map(sqlText)
        .join(", ")});`,
  ),
);

// Bob follows Alice, so Alice has a follow in her notifications; and each demo account has a
// welcome message. Rows as the notify consumer writes them (docs/notifications.md): ids of now
// (retention trims by id), a dedupe key per notification so seeding again adds nothing, and the
// group written only with its notification.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
function newId() {
  let time = "";
  for (let t = Date.parse(now), i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  return time + Array.from(randomBytes(16), (b) => ALPHABET[b % 32]).join("");
}
const hour = Math.floor(Date.parse(now) / 3_600_000);
statements.push(
  `INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at) VALUES (${[bob.id, alice.id, "01JD00000000000000000F0110", now].map(sqlText).join(", ")});`,
  ...[alice, bob].map(
    (u) =>
      `UPDATE users SET followers_count = (SELECT COUNT(*) FROM follows WHERE followee_id = users.id), following_count = (SELECT COUNT(*) FROM follows WHERE follower_id = users.id) WHERE id = ${sqlText(u.id)};`,
  ),
);
function notification({ recipient, type, actor, text, dedupe, grouped }) {
  const id = newId();
  const [groupKey, prefix] = grouped ? [`${type}-${hour}`, type] : [`ungrouped-${id}`, "ungrouped"];
  const value = (v) => (v === null ? "NULL" : sqlText(v));
  return [
    `INSERT OR IGNORE INTO notifications (id, recipient_id, type, actor_id, text, group_key, folder, dedupe_key, created_at, delivered_at) VALUES (${[
      id,
      recipient,
      type,
      actor,
      text,
      groupKey,
      "main",
      dedupe,
      now,
      now,
    ]
      .map(value)
      .join(", ")});`,
    `INSERT INTO notification_groups (recipient_id, group_key, folder, type, prefix, bucket, count, latest_id, latest_at)
       SELECT ${[recipient, groupKey, "main", type, prefix].map(sqlText).join(", ")}, ${hour}, 1, ${sqlText(id)}, ${sqlText(now)}
       WHERE EXISTS (SELECT 1 FROM notifications WHERE id = ${sqlText(id)})
       ON CONFLICT (recipient_id, group_key) DO UPDATE SET count = count + 1, latest_id = excluded.latest_id, latest_at = excluded.latest_at;`,
  ];
}
statements.push(
  ...notification({
    recipient: alice.id,
    type: "follow",
    actor: bob.id,
    text: null,
    dedupe: "seed:follow",
    grouped: true,
  }),
  ...DEMO_USERS.flatMap((u) =>
    notification({
      recipient: u.id,
      type: "system",
      actor: null,
      text: "Welcome to Edgegram! This is a demo account.",
      dedupe: "seed:welcome",
      grouped: false,
    }),
  ),
);

const file = join(root, ".wrangler", "seed.sql");
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${statements.join("\n")}\n`);
execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", `--file=${file}`], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CI: "true" },
});
console.warn(
  `seed: demo accounts ${DEMO_USERS.map((u) => u.username).join(", ")} (password "${DEMO_PASSWORD}"; mod is a moderator), an alice-bob conversation, bob following alice, welcome notifications`,
);
