#!/usr/bin/env bash
# build-sdk.sh — build the release browser SDK into pkg/ (the npm package users install).
#
# Why this wrapper: wasm-pack downloads wasm-opt unless one is on PATH, and Debian's wasm-opt
# (binaryen 108) emits modules that fail in the browser, so npm's binaryen (node_modules/.bin)
# must come first on PATH for every wasm-pack call. After wasm-pack, scripts/package-sdk.mjs
# (when present) finishes the package, and www/pkg -> ../pkg lets rtm-server serve the demo
# pages with the fresh build. Run scripts/setup.sh first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

step() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

[[ -x node_modules/.bin/wasm-opt ]] || die "node_modules/.bin/wasm-opt missing: run scripts/setup.sh (npm install)"
command -v wasm-pack >/dev/null 2>&1 || die "wasm-pack missing: run scripts/setup.sh"

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

if [[ -f pkg/rtm_wasm_bg.wasm ]]; then
  wasm_raw=$(wc -c < pkg/rtm_wasm_bg.wasm)
  wasm_gz=$(gzip -9c pkg/rtm_wasm_bg.wasm | wc -c)
  js_gz=$(gzip -9c pkg/rtm_wasm.js | wc -c)
  step "SDK built: wasm ${wasm_raw} B raw / ${wasm_gz} B gz, js ${js_gz} B gz, total gz $((wasm_gz + js_gz)) B"
fi
