#!/usr/bin/env bash
# Runs the outage test (tests/e2e/outage.rs): a PostgreSQL restart under a
# write load. The test stops and starts its database, so it gets a private
# cluster, made here with initdb in a temporary directory on a free port and
# removed afterwards; no other PostgreSQL server is touched.
#
# Needs PostgreSQL's server binaries (/usr/lib/postgresql/<version>/bin).
# As root, the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2
  exit 1
fi

# A free port: bound by the kernel, then released for PostgreSQL.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/ferrocrud-outage.XXXXXX)
data="$dir/data"
log="$dir/postgres.log"

if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_owner="runuser -u postgres --"
else
  as_owner=""
fi
pg_ctl="$as_owner $bin/pg_ctl -D $data -l $log"
# Immediate stop: the server ends at once, as in a crash, and recovers its
# committed transactions from its log at the next start.
stop_cmd="$pg_ctl -m immediate -w stop"
start_cmd="$pg_ctl -w -t 30 -o '-p $port -k $dir -c listen_addresses=127.0.0.1' start"

cleanup() {
  $pg_ctl -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

$as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
sh -c "$start_cmd" >/dev/null

output="$dir/test.log"
status=0
FERROCRUD_OUTAGE_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres" \
FERROCRUD_OUTAGE_STOP_CMD="$stop_cmd >/dev/null" \
FERROCRUD_OUTAGE_START_CMD="$start_cmd >/dev/null" \
  cargo test -q -p ferrocrud-tests --test e2e -- \
    --ignored --exact --nocapture outage::acknowledged_writes_survive_a_database_restart \
  2>&1 | tee "$output" || status=$?
if [ "$status" -ne 0 ]; then
  echo "outage test failed; PostgreSQL's log:" >&2
  tail -n 40 "$log" >&2 || true
  exit "$status"
fi
# A filter that matched nothing would pass: the test must have run.
if ! grep -q "test result: ok. 1 passed" "$output"; then
  echo "the outage test did not run" >&2
  exit 1
fi
