// Staff roles, set outside the API (docs/moderation.md, "Roles"): there is no endpoint that makes
// anyone a moderator or an admin, so a stolen or compromised account cannot promote itself.
//
//   node scripts/admin.mjs grant <username> moderator|admin [--persist-to <dir>] [--remote]
//   node scripts/admin.mjs revoke <username> [--persist-to <dir>] [--remote]
//   node scripts/admin.mjs list [--persist-to <dir>] [--remote]
//
// Local by default (the database `npm start` uses; `--persist-to` as given to `wrangler dev`);
// `--remote` changes the deployed database (wrangler must be logged in). A changed role takes
// effect at once: the session check refuses access tokens that name the old role, and the next
// refresh issues one with the new role.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROLES = ["moderator", "admin"];
// The sign-up rule for usernames; checked here so nothing but a name reaches the SQL text.
const USERNAME = /^[a-z0-9._]{1,30}$/;

function usage(message) {
  if (message) console.error(`admin: ${message}`);
  console.error("usage: node scripts/admin.mjs grant <username> moderator|admin | revoke <username> | list");
  console.error("       [--persist-to <dir>] [--remote]");
  process.exit(2);
}

const args = process.argv.slice(2);
const flags = { remote: false, persistTo: null };
const positional = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === "--remote") flags.remote = true;
  else if (arg === "--persist-to") {
    flags.persistTo = args[++i];
    if (!flags.persistTo) usage("--persist-to needs a directory");
  } else if (arg.startsWith("--persist-to=")) flags.persistTo = arg.slice("--persist-to=".length);
  else if (arg.startsWith("--")) usage(`unknown option ${arg}`);
  else positional.push(arg);
}
if (flags.remote && flags.persistTo) usage("--remote and --persist-to do not go together");

const [command, rawName, role] = positional;
let sql;
if (command === "list") {
  if (positional.length !== 1) usage();
  sql = "SELECT username, role FROM users WHERE role <> 'user' ORDER BY role, username;";
} else if (command === "grant" || command === "revoke") {
  const username = (rawName ?? "").toLowerCase();
  if (!USERNAME.test(username)) usage("a valid username is required");
  if (command === "grant" && !ROLES.includes(role)) usage("grant needs a role: moderator or admin");
  if (command === "revoke" && positional.length !== 2) usage();
  const next = command === "grant" ? role : "user";
  // RETURNING tells whether the account exists, so a typo does not pass silently.
  sql = `UPDATE users SET role = '${next}' WHERE username = '${username}' RETURNING username, role;`;
} else {
  usage(command ? `unknown command ${command}` : undefined);
}

const where = flags.remote ? ["--remote"] : ["--local", ...(flags.persistTo ? ["--persist-to", flags.persistTo] : [])];
const out = execFileSync("npx", ["wrangler", "d1", "execute", "DB", ...where, "--json", "--command", sql], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, CI: "true" },
});
const rows = JSON.parse(out).flatMap((r) => r.results ?? []);
if (command !== "list" && rows.length === 0) {
  console.error(`admin: no account named ${rawName}`);
  process.exit(1);
}
for (const row of rows) console.log(`${row.username}\t${row.role}`);
