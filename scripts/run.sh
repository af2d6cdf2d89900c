#!/usr/bin/env bash
# Sets up what is missing, then builds and runs Baton (release mode, embedded SQLite under
# ./data/). Open the URL it prints. Settings: see README.md ("Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_build_tools

step "Building and starting Baton (release)"
# With no Facebook page connected yet, connect the built-in sandbox page (offline demo).
export BATON_AUTO_SANDBOX=1
exec cargo leptos serve --release --split
