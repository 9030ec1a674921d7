#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and property tests, integration tests against
# a SQLite file AND PostgreSQL (a throw-away server started here, or the one
# CUBIST_TEST_POSTGRES names), the check that the
# browser bundle contains no server crates, the Kubernetes tests on a real control plane
# (built from Go modules, scripts/testenv-build.sh), and the browser end-to-end tests in
# Debian's Chromium. Installs what is missing first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/test-postgres.sh"
source "$(dirname "$0")/testenv-build.sh"
cd "$ROOT"

install_build_tools
install_runtime_packages
install_debian_package chromium /usr/bin/chromium
# A real SMTP server for the alert tests.
install_debian_package python3-aiosmtpd /usr/lib/python3/dist-packages/aiosmtpd/__init__.py
if [ ! -d "$ROOT/end2end/node_modules/playwright-core" ]; then
  step "Installing playwright-core from npm (no browser download)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi

install_debian_package openssl /usr/bin/openssl
build_testenv
start_test_postgres

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
