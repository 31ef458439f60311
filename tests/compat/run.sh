#!/usr/bin/env bash
# Run the eicrud wire-compatibility suite against a server.
#
#   ./run.sh http://127.0.0.1:3000                 # main suite (user-service file skipped)
#   COMPAT_FULL=1 COMPAT_MAIL_LOG=/path/mail.jsonl ./run.sh http://127.0.0.1:3000
#   ./run.sh http://127.0.0.1:3000 --test-name-pattern=login   # extra args go to node --test
#
# The URL may also come from COMPAT_URL. Every COMPAT_* variable is passed
# through (see README.md). Exits with the suite's status.
set -euo pipefail
cd "$(dirname "$0")"

URL="${1:-${COMPAT_URL:-}}"
[ $# -gt 0 ] && shift
if [ -z "$URL" ]; then
  echo "usage: $0 URL [node --test args...]   (e.g. $0 http://127.0.0.1:3000)" >&2
  exit 2
fi
export COMPAT_URL="$URL"

# Install the pinned client when missing or when the lock file changed.
if [ ! -f node_modules/@eicrud/client/package.json ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[compat] npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

# Fail fast when the server is not there.
if ! node -e '
  fetch(process.env.COMPAT_URL.replace(/\/+$/, "") + "/crud/rdy", { signal: AbortSignal.timeout(5000) })
    .then(async (r) => { const t = (await r.text()).trim(); if (r.status !== 200 || t !== "true") { console.error(`[compat] ${process.env.COMPAT_URL}/crud/rdy answered ${r.status} ${JSON.stringify(t)}, expected 200 true`); process.exit(1); } })
    .catch((e) => { console.error(`[compat] ${process.env.COMPAT_URL}/crud/rdy does not answer (${e.cause?.code || e.message})`); process.exit(1); });
'; then
  exit 1
fi

echo "[compat] server ${COMPAT_URL}, full=${COMPAT_FULL:-0}, mailbox=${COMPAT_MAIL_LOG:-<unset>}" >&2
exec node --test --test-reporter=tap --test-concurrency=1 "$@" compat.test.js user-service.test.js user-profile.test.js
