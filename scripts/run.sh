#!/usr/bin/env bash
# Sets up what is missing, then builds and runs Baton (release mode, embedded SQLite under
# ./data/). Open the URL it prints. Settings: see README.md ("Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_build_tools

step "Building and starting Baton (release)"
exec cargo leptos serve --release
