#!/usr/bin/env bash
# Benchmark of the local engine: builds the release server and runs DAGs of 1, 20 (chain),
# 100 (fan-out + join) and 1,000 trivial tasks through it, printing per-task overhead next
# to the bare cost of spawning the same processes, and the server's peak memory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo build --locked --release -p cubist-server --bin cubist --example engine_bench
CUBIST_BIN="$CARGO_TARGET_DIR/release/cubist" "$CARGO_TARGET_DIR/release/examples/engine_bench"
