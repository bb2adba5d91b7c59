#!/usr/bin/env bash
# build-sdk.sh — build the release browser SDK into pkg/ (the npm package users install).
#
# Why this wrapper: wasm-pack downloads wasm-opt unless one is on PATH, and Debian's wasm-opt
# (binaryen 108) emits modules that fail in the browser, so npm's binaryen (node_modules/.bin)
# must come first on PATH for every wasm-pack call. After wasm-pack, scripts/package-sdk.mjs
# (when present) finishes the package: one self-contained JS file per module format with the wasm
# inside (raw DEFLATE, inflated on import by fflate; esbuild bundles). www/pkg -> ../pkg lets rtm-server serve the demo pages with the fresh build.
# Run scripts/setup.sh first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

step() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

[[ -x node_modules/.bin/wasm-opt ]] || die "node_modules/.bin/wasm-opt missing: run scripts/setup.sh (npm install)"
command -v wasm-pack >/dev/null 2>&1 || die "wasm-pack missing: run scripts/setup.sh"
[[ -x node_modules/.bin/esbuild ]] || die "node_modules/.bin/esbuild missing: run scripts/setup.sh (npm install)"

step "wasm-pack build --release --target web --out-dir pkg --out-name rtm_wasm (wasm-opt $(wasm-opt --version | awk '{print $3}'))"
wasm-pack build --release --target web --out-dir pkg --out-name rtm_wasm

if [[ -f scripts/package-sdk.mjs ]]; then
  step "node scripts/package-sdk.mjs"
  node scripts/package-sdk.mjs
else
  step "scripts/package-sdk.mjs not present: skipped"
fi

if [[ -L www/pkg || -e www/pkg ]]; then
  [[ -e www/pkg/rtm_wasm.js ]] || echo "warning: www/pkg exists but has no rtm_wasm.js (expected a symlink to ../pkg)" >&2
else
  step "ln -s ../pkg www/pkg"
  mkdir -p www
  ln -s ../pkg www/pkg
fi

if [[ -f pkg/index.js ]]; then
  # What an app ships: pkg/index.js is the whole SDK (JS glue + the wasm, DEFLATE-compressed inside).
  # bench/sdk-size.sh checks it against the budget.
  js_raw=$(wc -c < pkg/index.js)
  js_gz=$(gzip -9c pkg/index.js | wc -c)
  step "SDK built: pkg/index.js (JS + wasm, everything an app loads) ${js_raw} B raw, ${js_gz} B gzip -9 (target 40960)"
fi
