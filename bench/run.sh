#!/usr/bin/env bash
# The load benchmark, in one command (see BENCHMARKS.md):
#   bench/run.sh                          # DURATION=15 WARMUP=3 ROUNDS=3 CONNECTIONS=32, all servers
#   DURATION=3 WARMUP=1 ROUNDS=3 bench/run.sh     # a short run
#   SERVERS=ferrocrud SCENARIOS=check_jwt,login bench/run.sh
# Installs wrk (apt) when missing, makes sure PostgreSQL answers on 127.0.0.1:5432,
# builds the blog example (release), then runs bench/bench.py: each server in turn on
# a fresh database, ROUNDS alternating rounds, medians, markdown tables on stdout.
# Every variable bench/bench.py reads is listed at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export BENCH_COMMAND="${BENCH_COMMAND:-$(env | grep -E '^(DURATION|WARMUP|ROUNDS|CONNECTIONS|THREADS|LOGIN_ACCOUNTS|SERVERS|SCENARIOS|MIXED_LOGIN_CONNECTIONS|MIXED_RAMP)=' | sort | tr '\n' ' ')bench/run.sh}"
servers="${SERVERS:-ferrocrud,eicrud,ceiling}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
  echo "[run] installing wrk (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq wrk >/dev/null 2>&1 || { as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null; }
fi
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
scripts/ensure-postgres.sh >/dev/null
case ",$servers," in *,eicrud,*) command -v node >/dev/null || { echo "bench: the eicrud peer needs Node 20" >&2; exit 1; } ;; esac
case ",$servers," in *,ceiling,*) command -v cargo >/dev/null || { echo "bench: the ceiling needs cargo" >&2; exit 1; } ;; esac
case ",$servers," in
  *,ferrocrud,*) echo "[run] cargo build --release -p blog (target: $CARGO_TARGET_DIR)"; cargo build --release -q -p blog ;;
esac
exec python3 bench/bench.py
