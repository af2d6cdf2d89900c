# shellcheck shell=bash
# A throwaway PostgreSQL server for the test suite: the same tests run against SQLite and
# against PostgreSQL (see docs/postgres.md). Sourced by scripts/test.sh after setup.sh.
#
# ensure_postgres installs Debian's postgresql package when no server binaries are found.
# start_test_postgres starts a private cluster in a temporary folder (a unix socket only, no
# TCP port, fsync off: nothing in it outlives the run), exports BATON_TEST_POSTGRES_URL for
# the tests, and stops and removes it when the calling script exits.
# start_bench_postgres does the same with PostgreSQL's durable defaults (every commit
# flushed to disk, as in production) for scripts/bench.sh, and exports
# BATON_BENCH_POSTGRES_URL.

ensure_postgres() {
  if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    step "Installing Debian's postgresql (for the PostgreSQL test suite)"
    apt_install postgresql
  fi
}

start_test_postgres() {
  start_postgres_cluster 55432 "-c fsync=off -c synchronous_commit=off"
  export BATON_TEST_POSTGRES_URL=$BATON_PG_URL
}

start_bench_postgres() {
  start_postgres_cluster 55433 ""
  export BATON_BENCH_POSTGRES_URL=$BATON_PG_URL
}

# start_postgres_cluster PORT EXTRA_OPTIONS: a cluster in a temporary folder listening on a
# unix socket there; its URL is left in BATON_PG_URL.
start_postgres_cluster() {
  local port=$1 extra=$2 bin dir
  bin=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -n 1)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg.XXXXXX")
  # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user
  # the package created.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    as=(runuser -u postgres --)
  fi
  step "Starting a throwaway PostgreSQL server ($("$bin/postgres" --version))"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U baton -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  # shellcheck disable=SC2086 # $extra is a list of options
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses= -p $port $extra -c max_connections=300" \
    start >/dev/null
  BATON_TEST_PG_DIR=$dir
  BATON_TEST_PG_AS=("${as[@]}")
  BATON_TEST_PG_BIN=$bin
  trap stop_test_postgres EXIT
  BATON_PG_URL="postgres://baton@localhost/postgres?host=$dir&port=$port"
}

stop_test_postgres() {
  if [ -n "${BATON_TEST_PG_DIR:-}" ] && [ -d "$BATON_TEST_PG_DIR" ]; then
    "${BATON_TEST_PG_AS[@]}" "$BATON_TEST_PG_BIN/pg_ctl" -D "$BATON_TEST_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$BATON_TEST_PG_DIR"
  fi
}
