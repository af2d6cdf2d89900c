#!/usr/bin/env bash
# Sets up what is missing, then runs every check: formatting, clippy for the server (ssr) and
# browser (hydrate) builds, the Rust test suites (on SQLite and on a throwaway PostgreSQL
# server), a release build, the Playwright end-to-end suite in Debian's Chromium, and a report
# of the release wasm size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/postgres.sh
ensure_build_tools
ensure_browser
ensure_postgres

started=$SECONDS

# A one-off build (CI's fresh clone) gains nothing from incremental caches but their disk use.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL=0
fi

step "Formatting (cargo fmt --check)"
cargo fmt --all --check

step "Clippy, server build (ssr)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Clippy, browser build (hydrate, wasm32)"
cargo clippy -p app --lib --no-default-features --features hydrate \
  --target wasm32-unknown-unknown --locked -- -D warnings

# The tests that run on both backends create their PostgreSQL databases on this server.
start_test_postgres

step "Rust tests (unit and integration; SQLite and PostgreSQL)"
cargo test --workspace --locked

step "The server's in-process suites again, on PostgreSQL"
BATON_TEST_BACKEND=postgres cargo test --locked -p server --tests

# --split: the screens are lazy routes, each its own wasm chunk (see app/src/app.rs).
step "Release build (cargo leptos build --release --split)"
cargo leptos build --release --split

# On SQLite, and on the test PostgreSQL server with 1 and 3 instances sharing a database.
step "Benchmark smoke run (baton bench --quick: every reply once and in order)"
target/release/baton bench --quick --peer off --postgres "$BATON_TEST_POSTGRES_URL" \
  --instances 1,3 --out target/bench/smoke.json

step "End-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)

step "Release wasm size"
node scripts/wasm-size.mjs target/site/pkg

printf '\nAll checks passed in %ss.\n' "$((SECONDS - started))"
