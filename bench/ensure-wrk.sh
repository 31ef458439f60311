#!/usr/bin/env bash
# Installs wrk (apt) when it is missing; bench/run.sh and bench/soak.sh run this.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] installing wrk (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq wrk >/dev/null 2>&1 || { as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null; }
fi
