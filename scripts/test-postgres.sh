# Starts a throw-away PostgreSQL server for the tests unless CUBIST_TEST_POSTGRES already
# names one: Debian's postgresql (installed when missing), initdb into a temporary folder as
# the `postgres` user with trust authentication on loopback, a free port and a socket folder
# of its own. The server and its folder are removed when the calling script exits.
# Sourced by test.sh, after lib.sh.

postgres_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

free_loopback_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_test_postgres() {
  if [ -n "${CUBIST_TEST_POSTGRES:-}" ]; then
    step "Using the PostgreSQL server at $CUBIST_TEST_POSTGRES"
    return
  fi
  local bin
  bin="$(postgres_bin_dir)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    step "Installing Debian's postgresql"
    as_root apt-get install -y postgresql || { as_root apt-get update && as_root apt-get install -y postgresql; }
    bin="$(postgres_bin_dir)"
  fi
  [ -x "$bin/initdb" ] || fail "initdb not found under /usr/lib/postgresql/*/bin"

  TEST_PG_DIR="$(mktemp -d /tmp/cubist-test-pg.XXXXXX)"
  local as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$TEST_PG_DIR"
    as_pg=(runuser -u postgres --)
  fi
  local port
  port="$(free_loopback_port)"
  step "Starting a throw-away PostgreSQL on 127.0.0.1:$port ($TEST_PG_DIR)"
  "${as_pg[@]}" "$bin/initdb" -D "$TEST_PG_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 >"$TEST_PG_DIR/initdb.log" \
    || { cat "$TEST_PG_DIR/initdb.log" >&2; fail "initdb failed"; }
  trap stop_test_postgres EXIT
  "${as_pg[@]}" "$bin/pg_ctl" -D "$TEST_PG_DIR/data" -l "$TEST_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $TEST_PG_DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$TEST_PG_DIR/server.log" >&2; fail "PostgreSQL did not start"; }
  TEST_PG_BIN="$bin"
  TEST_PG_AS=("${as_pg[@]}")
  export CUBIST_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_test_postgres() {
  if [ -n "${TEST_PG_DIR:-}" ] && [ -d "$TEST_PG_DIR/data" ]; then
    "${TEST_PG_AS[@]}" "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$TEST_PG_DIR"
  fi
}
