#!/usr/bin/env bash
# The load benchmark, in one command (see BENCHMARKS.md):
#   bench/run.sh                          # DURATION=15 WARMUP=3 ROUNDS=3 CONNECTIONS=32, all servers
#   DURATION=3 WARMUP=1 ROUNDS=3 bench/run.sh     # a short run
#   SERVERS=ferrocrud SCENARIOS=check_jwt,login bench/run.sh
#   BASELINE=c57a45c SERVERS=ferrocrud,ceiling bench/run.sh   # also this build against another commit
# Installs wrk (apt) when missing, makes sure PostgreSQL answers on 127.0.0.1:5432,
# builds the blog example (release; with BASELINE=<commit>, that commit's blog too, from
# `git archive` into BENCH_WORK, measured as the server `baseline`), then runs
# bench/bench.py: in each of ROUNDS rounds every server on a fresh database, each
# scenario measured on one server after the other; medians, paired per-round ratios and
# their spread, markdown tables on stdout.
# Every variable bench/bench.py reads is listed at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/ferrocrud-target}"
export BENCH_COMMAND="${BENCH_COMMAND:-$(env | grep -E '^(DURATION|WARMUP|ROUNDS|CONNECTIONS|THREADS|LOGIN_ACCOUNTS|SERVERS|SCENARIOS|MIXED_LOGIN_CONNECTIONS|MIXED_RAMP|BASELINE|BASELINE_BIN|BASELINE_LABEL|BASELINE_ENV)=' | sort | tr '\n' ' ')bench/run.sh}"
servers="${SERVERS:-ferrocrud,eicrud,ceiling}"

bench/ensure-wrk.sh
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
scripts/ensure-postgres.sh >/dev/null
case ",$servers," in *,eicrud,*) command -v node >/dev/null || { echo "bench: the eicrud peer needs Node 20" >&2; exit 1; } ;; esac
case ",$servers," in *,ceiling,*) command -v cargo >/dev/null || { echo "bench: the ceiling needs cargo" >&2; exit 1; } ;; esac
# The blog of another commit, in a target directory of its own: two checkouts of
# one workspace must not share one, since cargo tells path crates apart by their
# path within the workspace, and a build of one checkout can take the other's
# crates as fresh. The first time, the directory starts as a copy of this one's
# release build, so that only the workspace's crates are compiled again.
if [ -n "${BASELINE:-}" ] && [ -z "${BASELINE_BIN:-}" ]; then
  work="${BENCH_WORK:-/tmp/ferrocrud-bench}"
  rev="$(git rev-parse --short=7 "${BASELINE}^{commit}")"
  export BASELINE_BIN="$work/blog-$rev" BASELINE_LABEL="commit $rev"
  if [ ! -x "$BASELINE_BIN" ]; then
    src="$work/src-$rev" target="$work/baseline-target"
    rm -rf "$src" && mkdir -p "$src" "$target"
    git archive "$rev" | tar -x -C "$src"
    if [ ! -d "$target/release" ] && [ -d "$CARGO_TARGET_DIR/release" ]; then
      cp -R "$CARGO_TARGET_DIR/release" "$target/"
    fi
    echo "[run] cargo build --release -p blog at $rev (in $src, target: $target)"
    (cd "$src" && CARGO_TARGET_DIR="$target" cargo build --release -q -p blog)
    cp "$target/release/blog" "$BASELINE_BIN"
    rm -rf "$src"
  fi
fi
if [[ ",$servers," == *,ferrocrud,* ]]; then
  echo "[run] cargo build --release -p blog (target: $CARGO_TARGET_DIR)"
  cargo build --release -q -p blog
fi
exec python3 bench/bench.py
