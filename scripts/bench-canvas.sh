#!/usr/bin/env bash
# Benchmark of the pipeline editor: builds the UI and the server, opens a pipeline of
# BENCH_TASKS tasks (default 1000) in headless Chromium and prints time to first render and
# frame times while panning and zooming. Needs what scripts/test.sh installs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
install_build_tools
build_ui
cargo build --locked --release -p cubist-server
(cd "$ROOT/end2end" && CUBIST_BIN="$CARGO_TARGET_DIR/release/cubist" node bench/canvas.mjs)
