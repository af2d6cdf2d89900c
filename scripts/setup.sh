# shellcheck shell=bash
# Installs what Baton's build and tests need, skipping whatever is already installed, so a
# second run takes seconds. Sourced by scripts/run.sh and scripts/test.sh (it exports PATH).
#
# What it may install: the Rust wasm32 target, cargo-leptos (pinned), wasm-bindgen-cli (the
# version in Cargo.lock), Node.js/npm and the npm tools in end2end/ (wasm-opt from binaryen,
# sass, Playwright), and, for the tests only, Debian's chromium.

CARGO_LEPTOS_VERSION=0.3.10

step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  if [ -z "${BATON_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    BATON_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Cargo installs tools faster without LTO; the tools' speed does not matter here.
cargo_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@"
}

ensure_build_tools() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    echo "Rust is required (cargo not found). Install it with rustup, then run this again." >&2
    return 1
  fi

  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "Adding the Rust wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  if [[ "$(cargo leptos --version 2>/dev/null)" != *" $CARGO_LEPTOS_VERSION"* ]]; then
    step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes, once)"
    cargo_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi

  local wb
  wb=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ -z "$wb" ]; then
    echo "Cargo.lock has no wasm-bindgen entry; run 'cargo generate-lockfile' first." >&2
    return 1
  fi
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb"* ]]; then
    step "Installing wasm-bindgen-cli $wb (matches Cargo.lock)"
    cargo_install wasm-bindgen-cli --version "$wb" --force
  fi

  if ! command -v npm >/dev/null; then
    step "Installing Node.js and npm from Debian"
    apt_install nodejs npm
  fi

  # npm ci only when the lock file changed since the last install.
  if [ ! -f end2end/node_modules/.package-lock.json ] ||
    [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "Installing npm tools (wasm-opt, sass, Playwright) into end2end/node_modules"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
  # cargo-leptos uses wasm-opt and sass from PATH instead of downloading them.
  export PATH="$PWD/end2end/node_modules/.bin:$PATH"
}

ensure_browser() {
  if ! command -v chromium >/dev/null; then
    step "Installing Debian's chromium for the end-to-end tests"
    apt_install chromium
  fi
}
