#!/usr/bin/env bash
# setup.sh [--test] — install everything the SDK build (and with --test, the test suite) needs.
#
# Why: a fresh Debian machine has Rust (rustup), node and npm, but none of the wasm tooling.
# Everything comes from crates.io, npm or Debian apt; nothing is downloaded from GitHub or a
# browser CDN (wasm-pack would otherwise fetch wasm-bindgen/wasm-opt/chromedriver itself).
# Idempotent: every step is skipped when its result is already present, so a second run takes
# a few seconds.
#
#   rustup target wasm32-unknown-unknown
#   wasm-pack          cargo install --locked            (skipped when on PATH)
#   wasm-bindgen-cli   cargo install --version <Cargo.lock's wasm-bindgen> (NOT --locked: one
#                      crate it pins is missing from the registry); wasm-pack only uses a local
#                      wasm-bindgen whose version equals the lockfile's, else it downloads.
#   npm devDependencies (binaryen = the working wasm-opt, typescript, playwright-core, ...)
#   --test: Debian chromium, chromium-driver, redis-server, openssl, systemd via apt-get
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    *) echo "usage: $0 [--test]" >&2; exit 2 ;;
  esac
done

step() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

# rustup puts cargo in ~/.cargo/bin; a non-login CI shell may not have it on PATH yet.
if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup first)"
command -v npm >/dev/null 2>&1 || die "npm not found (node 20 + npm are required)"

# --- Rust wasm target -------------------------------------------------------------------------
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rust target wasm32-unknown-unknown: present"
else
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- wasm-pack --------------------------------------------------------------------------------
if command -v wasm-pack >/dev/null 2>&1; then
  step "wasm-pack: present ($(command -v wasm-pack))"
else
  step "cargo install wasm-pack --locked (3-6 min)"
  cargo install wasm-pack --locked
fi

# --- wasm-bindgen-cli, same version as Cargo.lock ---------------------------------------------
[[ -f Cargo.lock ]] || die "Cargo.lock missing: it pins the wasm-bindgen version"
WB_VERSION="$(awk '
  /^\[\[package\]\]/ { inpkg = 0 }
  /^name = "wasm-bindgen"$/ { inpkg = 1; next }
  inpkg && /^version = / { gsub(/version = |"/, ""); print; exit }
' Cargo.lock)"
[[ -n "$WB_VERSION" ]] || die "no wasm-bindgen package entry in Cargo.lock"
HAVE_WB="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [[ "$HAVE_WB" == "$WB_VERSION" ]]; then
  step "wasm-bindgen-cli $WB_VERSION: present"
else
  step "cargo install wasm-bindgen-cli --version $WB_VERSION (4-5 min; have: ${HAVE_WB:-none})"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# --- npm devDependencies ----------------------------------------------------------------------
# node_modules/.package-lock.json is npm's own record of the last install; reinstall when the
# manifest or lockfile is newer than it, or a binary we rely on is missing.
STAMP=node_modules/.package-lock.json
if [[ ! -f "$STAMP" || package.json -nt "$STAMP" \
      || ( -f package-lock.json && package-lock.json -nt "$STAMP" ) \
      || ! -x node_modules/.bin/wasm-opt || ! -x node_modules/.bin/tsc ]]; then
  step "npm install"
  # playwright-core never downloads browsers, but make sure nothing else tries to.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund
  touch "$STAMP"
else
  step "npm devDependencies: up to date"
fi

# --- Debian packages for the test suite -------------------------------------------------------
if [[ "$WITH_TEST" == 1 ]]; then
  # openssl: the harness makes the TLS server's certificate with it (tests/harness/tls.mjs).
  # systemd: its systemd-analyze checks deploy/rtm-server.service (server/tests/deploy.rs).
  if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] && command -v redis-server >/dev/null 2>&1 \
    && command -v openssl >/dev/null 2>&1 && command -v systemd-analyze >/dev/null 2>&1; then
    step "chromium, chromedriver, redis-server, openssl, systemd-analyze: present"
  else
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
      command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install chromium chromium-driver redis-server openssl systemd"
      SUDO=(sudo)
    fi
    step "apt-get install chromium chromium-driver redis-server openssl systemd (~1 min)"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver redis-server openssl systemd
  fi
fi

step "setup done"
