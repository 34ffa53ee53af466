#!/usr/bin/env bash
# One command for the benchmark suite: builds release, installs wrk if missing, seeds a fresh
# database and runs the workloads (bench/run.py says which). BENCH_DB=postgres runs it on
# PostgreSQL (127.0.0.1:5432 by default) and reports the database's CPU separately.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --bin portico --example bench_seed
exec python3 bench/run.py "$@"
