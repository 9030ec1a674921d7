#!/usr/bin/env bash
# Benchmark of the Kubernetes engine on the test control plane: builds the plane's programs
# (when missing) and the release server, then runs pipelines of 1, 100 and 1,000 tasks on
# fake nodes, printing submit time, Argo's run time, the watch lag until Cubist shows the
# run finished, and the server's peak memory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
scripts/testenv-build.sh
cargo build --locked --release -p cubist-server --bin cubist --example cluster_bench
CUBIST_BIN="$CARGO_TARGET_DIR/release/cubist" "$CARGO_TARGET_DIR/release/examples/cluster_bench"
