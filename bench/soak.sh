#!/usr/bin/env bash
# The soak, in one command (see BENCHMARKS.md, "Soak"):
#   bench/soak.sh                   # SOAK_MINUTES=30 at half the capacity measured for the mix
#   SOAK_MINUTES=3 bench/soak.sh    # a short run, to try it out
# Installs wrk (apt) when missing, makes sure PostgreSQL answers on 127.0.0.1:5432,
# builds the blog example (release), then runs bench/soak.py: the capacity of the
# mix (check_jwt, findOne, create, login: the load benchmark's requests) at full
# speed, then that mix paced at half of it, sampled every minute (server RSS, open
# file descriptors, p99). Exits 1 when a bound fails (RSS growth >= 10 %, fds not
# flat, p99 drift >= 20 %), 2 on any non-2xx answer or socket error. Every variable
# bench/soak.py reads is listed at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export BENCH_COMMAND="${BENCH_COMMAND:-$(env | grep -E '^(SOAK_MINUTES|LOAD_FRACTION|CAPACITY_SECONDS|CAPACITY_WARMUP|MIX|CONNECTIONS|THREADS|LOGIN_ACCOUNTS|RSS_LIMIT_PCT|FD_SLACK|P99_LIMIT_PCT)=' | sort | tr '\n' ' ')bench/soak.sh}"
bench/ensure-wrk.sh
command -v python3 >/dev/null || { echo "soak: python3 is needed" >&2; exit 1; }
scripts/ensure-postgres.sh >/dev/null
echo "[soak] cargo build --release -p blog (target: $CARGO_TARGET_DIR)"
cargo build --release -q -p blog
exec python3 bench/soak.py
