# Shared by run.sh and test.sh: paths and the idempotent installation of build tools.
# Everything comes from the package registries (crates.io, npm, Debian); nothing else is
# downloaded. Sourced, not executed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Builds are kept outside the clone so a fresh clone reuses them on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/cubist-target}"
# Incremental build caches grow by gigabytes per change and help only a developer's
# edit-compile loop; the scripts build without them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$HOME/.cargo/bin:$ROOT/scripts/node_modules/.bin:$PATH"

TRUNK_VERSION="0.21.14"

SCRIPT_STARTED_AT="$(date +%s)"
# Each step prints the seconds since the script started, so a slow first run shows where the
# time goes.
step() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - SCRIPT_STARTED_AT))" "$*"; }
fail() { printf '\nerror: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# install_debian_package PACKAGE FILE: installs PACKAGE with apt unless FILE exists.
install_debian_package() {
  [ -e "$2" ] && return
  step "Installing Debian's $1"
  as_root apt-get install -y "$1" || { as_root apt-get update && as_root apt-get install -y "$1"; }
}

# What the server itself needs at run time: bubblewrap isolates local tasks and debug shells.
install_runtime_packages() {
  install_debian_package bubblewrap /usr/bin/bwrap
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock"
}

install_build_tools() {
  command -v cargo >/dev/null || fail "cargo is missing: install Rust with rustup first"
  command -v npm >/dev/null || fail "npm is missing: install Node.js and npm first"

  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    step "Installing trunk $TRUNK_VERSION from crates.io (about 10 minutes, once)"
    cargo install --locked "trunk@$TRUNK_VERSION"
  fi

  local wbg
  wbg="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
    step "Installing wasm-bindgen-cli $wbg from crates.io (about 5 minutes, once)"
    # Not --locked: its lockfile pins a webpki-roots version the registry may lack.
    cargo install wasm-bindgen-cli --version "$wbg"
  fi

  local npm_stamp="$ROOT/scripts/node_modules/.package-lock.json"
  if [ ! -x "$ROOT/scripts/node_modules/.bin/wasm-opt" ] || [ "$ROOT/scripts/package-lock.json" -nt "$npm_stamp" ]; then
    step "Installing wasm-opt (binaryen) and xterm.js from npm"
    (cd "$ROOT/scripts" && npm ci --no-audit --no-fund)
  fi

  step "Fetching crates (Trunk builds offline)"
  (cd "$ROOT" && cargo fetch --locked)
}

build_ui() {
  step "Building the web UI (trunk build --release)"
  (cd "$ROOT" && trunk build --release)
  node "$ROOT/scripts/precompress.mjs" "$ROOT/dist"
}
