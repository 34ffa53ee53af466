#!/usr/bin/env bash
# What one SQLite use case costs per way of talking to SQLite (issue 18, item 5); pinned to one
# core as bench/run.sh pins the server. Prints a Markdown table; bench/results/sqlite-hop.md
# keeps the last one.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
exec taskset -c 0 target/release/sqlite-hop
