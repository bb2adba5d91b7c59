#!/usr/bin/env bash
# test-examples.sh — the example apps (examples/) against the release SDK package and a real
# rtm-server, in headless Chromium: `npm pack` of pkg/; require() of it in node; the type check of
# its exports under Node's resolution; for vite-ts (Vite + TypeScript), webpack (5) and webpack4
# (an unchanged agora-rtm-sdk app, the name aliased to rtm-wasm): npm install when needed, the
# packed package over the file: dependency, `npm run build`, the build served by rtm-server
# (--www) and loaded in Chromium, which logs two clients in and sends a peer message; the same for
# a plain <script type="module"> page, a classic <script> page (UMD, global AgoraRTM), and the
# vite-ts app on Vite's dev server. Details in examples/run.mjs.
#
# Needs: pkg/ built (scripts/build-sdk.sh; built here when missing), the root npm devDependencies
# (playwright-core), /usr/bin/chromium (or CHROMIUM=path), npm registry access the first time
# (each example's node_modules; reinstalled only when package.json/package-lock.json are newer).
# Logs: .test-out/examples/. Last line: `examples: N passed, M failed`; exit 1 on any failure.
# Usage: bash scripts/test-examples.sh [check...]   (e.g. `webpack4 plain`; default: all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

fail() { echo "!! $*"; echo "examples: 0 passed, 1 failed"; exit 1; }

if [[ ! -f pkg/index.js || ! -f pkg/package.json ]]; then
  echo "==> pkg/ not built: bash scripts/build-sdk.sh"
  bash scripts/build-sdk.sh || fail "scripts/build-sdk.sh failed"
fi
echo "==> cargo build -p rtm-server"
cargo build -q -p rtm-server || fail "cargo build -p rtm-server failed"
[[ -d node_modules/playwright-core ]] || fail "node_modules/playwright-core missing: run scripts/setup.sh (npm install)"

echo "==> node examples/run.mjs $*"
exec node examples/run.mjs "$@"
