#!/usr/bin/env bash
# Login timing, in one command (see BENCHMARKS.md, "Login timing"):
#   bench/timing.sh                 # TRIES=1000 per class and pair, WARMUP_TRIES=48, LOGIN_THROTTLE_MS=1
#   TRIES=200 bench/timing.sh       # a short run
# Makes sure PostgreSQL answers on 127.0.0.1:5432, builds the blog example (release),
# then runs bench/timing.py: four classes of failed login (unknown e-mail, wrong
# password, locked account, unverified account), each pair of them interleaved on one
# keep-alive connection, Welch's t per pair. Exits 1 when a pair's |t| >= T_LIMIT (4.5),
# 2 when a class did not get its own answer. Every variable bench/timing.py reads is
# listed at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export BENCH_COMMAND="${BENCH_COMMAND:-$(env | grep -E '^(TRIES|WARMUP_TRIES|LOGIN_THROTTLE_MS|T_LIMIT|SEED|RELOCK_SECONDS)=' | sort | tr '\n' ' ')bench/timing.sh}"
command -v python3 >/dev/null || { echo "timing: python3 is needed" >&2; exit 1; }
scripts/ensure-postgres.sh >/dev/null
echo "[timing] cargo build --release -p blog (target: $CARGO_TARGET_DIR)"
cargo build --release -q -p blog
exec python3 bench/timing.py
