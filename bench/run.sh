#!/usr/bin/env bash
# One command for the benchmark suite: builds release, installs wrk if missing, seeds a fresh
# database and runs the workloads (bench/run.py says which; bench/README.md how to read them).
#   bench/run.sh                  the suite on SQLite        -> bench/results/latest-sqlite.md
#   bench/run.sh --db postgres    the suite on PostgreSQL    -> bench/results/latest-postgres.md
#                                 (BENCH_DB=postgres; a database of its own on 127.0.0.1:5432)
#   bench/run.sh --peer           beside node-oidc-provider  -> bench/results/latest-peer.md
#                                 (BENCH_PEER=1; installs it from npm into target/bench-peer)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --bin portico --example bench_seed
exec python3 bench/run.py "$@"
