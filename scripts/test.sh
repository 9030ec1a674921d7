#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and property tests, integration tests against
# a SQLite file AND the PostgreSQL server (CUBIST_TEST_POSTGRES, default
# postgres://postgres@127.0.0.1:5432/postgres; it must be reachable), the check that the
# browser bundle contains no server crates, and the browser end-to-end tests in Debian's
# Chromium. Installs what is missing first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

install_build_tools
if [ ! -x /usr/bin/chromium ]; then
  step "Installing Debian's chromium"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y chromium || { $sudo_cmd apt-get update && $sudo_cmd apt-get install -y chromium; }
fi
if [ ! -d "$ROOT/end2end/node_modules/playwright-core" ]; then
  step "Installing playwright-core from npm (no browser download)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi

export CUBIST_TEST_POSTGRES="${CUBIST_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
step "Checking PostgreSQL at $CUBIST_TEST_POSTGRES"
pg_host_port="$(echo "$CUBIST_TEST_POSTGRES" | sed -E 's#^[a-z]+://([^@/]*@)?([^/:]+)(:([0-9]+))?.*#\2 \4#')"
read -r pg_host pg_port <<<"$pg_host_port"
if ! (exec 3<>"/dev/tcp/$pg_host/${pg_port:-5432}") 2>/dev/null; then
  fail "PostgreSQL is unreachable at $pg_host:${pg_port:-5432}; the tests need it (set CUBIST_TEST_POSTGRES)"
fi

step "Formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --exclude cubist-frontend --all-targets -- -D warnings
cargo clippy --locked -p cubist-frontend --target wasm32-unknown-unknown -- -D warnings

step "The browser bundle contains no server crates"
if cargo tree --locked -p cubist-frontend --target wasm32-unknown-unknown -e normal --prefix none \
  | grep -E '^(diesel|diesel-async|tokio|kube|axum|hyper) ' ; then
  fail "server-only crates leaked into the wasm build (listed above)"
fi

step "Unit, property and integration tests (SQLite and PostgreSQL)"
cargo test --locked --workspace --exclude cubist-frontend

step "Browser end-to-end tests"
build_ui
cargo build --locked -p cubist-server
(cd "$ROOT/end2end" && CUBIST_BIN="$CARGO_TARGET_DIR/debug/cubist" node --test tests/)

step "All tests passed"
