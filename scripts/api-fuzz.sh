#!/usr/bin/env bash
# Schema-driven API fuzzing: schemathesis generates requests from the blog's
# served OpenAPI document, as a logged-in user, and fails on any answer of
# 500 or more. Runs against a fresh database.
#   scripts/api-fuzz.sh sqlite|postgres
# API_FUZZ_EXAMPLES (default 40) bounds the examples per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
backend="${1:-sqlite}"
examples="${API_FUZZ_EXAMPLES:-40}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"

# schemathesis in a virtual environment of its own, kept beside the target
# directory so that CI runs reuse it.
venv="${API_FUZZ_VENV:-$CARGO_TARGET_DIR/../ferrocrud-api-fuzz-venv}"
schemathesis_version="4.32.5"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

cargo build -q -p blog
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db_name="ferrocrud_api_fuzz_$$"
case "$backend" in
  sqlite) database_url="sqlite://$work/blog.sqlite" ;;
  postgres)
    scripts/ensure-postgres.sh >/dev/null
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "create database $db_name"
    database_url="postgres://postgres@127.0.0.1:5432/$db_name"
    ;;
  *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$backend" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "drop database if exists $db_name with (force)" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

(
  cd "$work"
  HOST=127.0.0.1 PORT="$port" METRICS_ADDR=off DATABASE_URL="$database_url" JWT_SECRET="api-fuzz-$$-secret" \
  MAIL_LOG="$work/mail.jsonl" RUST_LOG=warn exec "$CARGO_TARGET_DIR/debug/blog"
) >"$work/server.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  curl -sf "$url/crud/rdy" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "blog server exited:" >&2; cat "$work/server.log" >&2; exit 1
  fi
  sleep 0.25
done

# The fuzzing user: a plain `user`, logged in for a day.
account='{"email":"fuzz@api-fuzz.test","password":"fuzz-pass-1234","role":"user"}'
user_id=$(curl -sf -X POST "$url/crud/s/user/cmd/create_account" -H 'content-type: application/json' \
  -d "$account" | python3 -c 'import json, sys; print(json.load(sys.stdin)["userId"])')
credentials='{"email":"fuzz@api-fuzz.test","password":"fuzz-pass-1234","expiresInSec":86400}'
token=$(curl -sf -X PATCH "$url/crud/s/user/cmd/login" -H 'content-type: application/json' \
  -d "$credentials" | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')

# `logout_everywhere` would revoke the fuzzing user's own token. The
# coverage phase is left out: it fails inside schemathesis on this document
# (a recursion error in hypothesis), whatever the server answers.
echo "schemathesis against the blog on $backend ($url), $examples examples per operation"
status=0
(
  cd "$ROOT/scripts/api-fuzz"
  FERROCRUD_FUZZ_USER_ID="$user_id" SCHEMATHESIS_HOOKS=hooks \
  "$venv/bin/schemathesis" run "$url/crud/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error \
    --phases examples,fuzzing,stateful \
    --exclude-path-regex 'logout_everywhere' \
    --max-examples "$examples" \
    --workers 2 \
    --seed "${API_FUZZ_SEED:-$RANDOM}" \
    --no-color
) || status=$?
if [ "$status" -ne 0 ]; then
  echo "server log:" >&2
  grep -E "ERROR|panicked" "$work/server.log" | tail -20 >&2 || true
fi
exit "$status"
