#!/usr/bin/env bash
# Builds Cubist and runs it on its embedded defaults: SQLite in ./data, the local engine,
# http://127.0.0.1:3000. Installs what is missing first. Environment variables (see
# docs/OPERATIONS.md) change the defaults, e.g. CUBIST_ADDR or DATABASE_URL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

install_build_tools
install_runtime_packages
build_ui
step "Building the server (release)"
cargo build --release --locked -p cubist-server

addr="${CUBIST_ADDR:-127.0.0.1:3000}"
step "Starting Cubist on http://$addr/"
if [ -z "${CUBIST_ADMIN_PASSWORD:-}" ] && [ ! -e "${CUBIST_DATA_DIR:-data}/cubist.db" ] && [ -z "${DATABASE_URL:-}" ]; then
  echo "Sign in as 'admin' with the password printed below (shown only on this first start)."
else
  echo "Sign in as 'admin' (password: CUBIST_ADMIN_PASSWORD, or the one printed on the first start)."
fi
exec "$CARGO_TARGET_DIR/release/cubist" serve
