#!/usr/bin/env bash
# Runs the @eicrud/client compatibility suite (tests/compat) against the blog
# server on a fresh database.
#   scripts/compat.sh sqlite|postgres      (COMPAT_FULL=0: skip the user-service file)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
backend="${1:-sqlite}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"

cargo build -q -p blog
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db_name="ferrocrud_compat_$$"
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

export COMPAT_MOD_EMAIL="moderator@compat.test" COMPAT_MOD_PASSWORD="moderator-pass-1"
export COMPAT_ADMIN_EMAIL="admin@compat.test" COMPAT_ADMIN_PASSWORD="admin-pass-12"
# The blog's own user fields (tests/compat/user-profile.test.js): ferrocrud only.
export COMPAT_PROFILE=1
# The user-service file (tests/compat/user-service.test.js) runs by default;
# COMPAT_FULL=0 runs the first milestone only.
export COMPAT_FULL="${COMPAT_FULL:-1}"
(
  cd "$work"
  HOST=127.0.0.1 PORT="$port" METRICS_ADDR=off DATABASE_URL="$database_url" JWT_SECRET="compat-$$-secret" \
  MAIL_LOG="$work/mail.jsonl" SEED_MOD_EMAIL="$COMPAT_MOD_EMAIL" SEED_MOD_PASSWORD="$COMPAT_MOD_PASSWORD" \
  SEED_ADMIN_EMAIL="$COMPAT_ADMIN_EMAIL" SEED_ADMIN_PASSWORD="$COMPAT_ADMIN_PASSWORD" \
  RUST_LOG=warn exec "$CARGO_TARGET_DIR/debug/blog"
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

echo "compat suite against the blog on $backend ($url)"
COMPAT_MAIL_LOG="$work/mail.jsonl" tests/compat/run.sh "$url" || { echo "server log:" >&2; tail -50 "$work/server.log" >&2; exit 1; }
