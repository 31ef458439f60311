#!/usr/bin/env bash
# Hash overload, in one command (see BENCHMARKS.md, "Hash overload"):
#   bench/overload.sh               # CONNECTIONS=200 DURATION=20
#   DURATION=5 bench/overload.sh    # a short run
# Installs wrk (apt) when missing, makes sure PostgreSQL answers on 127.0.0.1:5432,
# builds the blog example (release), then runs bench/overload.py: peak RSS under
# CONNECTIONS concurrent logins against (base + N x argon2 memory) x 1.2, and the shape
# of an overload answer (503, Retry-After, code 117). Exits 1 when either fails.
# Every variable bench/overload.py reads is listed at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export BENCH_COMMAND="${BENCH_COMMAND:-$(env | grep -E '^(DURATION|CONNECTIONS|THREADS|LOGIN_ACCOUNTS)=' | sort | tr '\n' ' ')bench/overload.sh}"
command -v python3 >/dev/null || { echo "overload: python3 is needed" >&2; exit 1; }
bench/ensure-wrk.sh
scripts/ensure-postgres.sh >/dev/null
echo "[overload] cargo build --release -p blog (target: $CARGO_TARGET_DIR)"
cargo build --release -q -p blog
exec python3 bench/overload.py
