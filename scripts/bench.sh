#!/usr/bin/env bash
# Builds Baton (release) and runs `baton bench`: signed webhooks over loopback to a real
# `baton serve` on a fresh SQLite database, a local Graph API sink, and the same load on the
# peer bot in bench/peer (bottender, Node.js). Prints a table and writes
# target/bench/report.json. Baton also runs on PostgreSQL with 1, 2 and 3 instances sharing
# one database, on a throwaway local server with durable settings (Debian's postgresql,
# installed if missing). Extra arguments go to `baton bench` (see `baton bench --help`),
# e.g. `./scripts/bench.sh --quick`, `./scripts/bench.sh --peer off --instances 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/postgres.sh
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  echo "Rust is required (cargo not found). Install it with rustup, then run this again." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  step "Installing Node.js and npm from Debian (for the peer bot)"
  apt_install nodejs npm
fi
if [ ! -f bench/peer/node_modules/.package-lock.json ] ||
  [ bench/peer/package-lock.json -nt bench/peer/node_modules/.package-lock.json ]; then
  step "Installing the peer bot's packages (npm ci in bench/peer)"
  (cd bench/peer && npm ci --no-audit --no-fund)
fi

step "Building baton (release)"
cargo build --release --locked -p server --bin baton --features ssr

ensure_postgres
start_bench_postgres

step "Running the benchmark"
# Not exec: the PostgreSQL server is stopped when this script exits.
target/release/baton bench --postgres "$BATON_BENCH_POSTGRES_URL" "$@"
