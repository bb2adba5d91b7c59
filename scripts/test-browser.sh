#!/usr/bin/env bash
# test-browser.sh [NAME...] — run the SDK's wasm-bindgen-test suites in headless Chromium.
#
# Why a loop: `wasm-pack test` stops at the first failing test binary and cannot be given
# cargo's --no-fail-fast (it passes extra arguments to `cargo build` too, which rejects it).
# So this runs one `wasm-pack test` per target — the lib, then each tests/NAME.rs (or only the
# NAMEs given) — and sums their libtest "test result:" lines. A target that fails without a
# failed test (compile error, runner timeout) counts as 1 failed. Last line:
# `browser: N passed, M failed`; exit status non-zero if anything failed.
# Needs RTM_TEST_URL=ws://IP:PORT/rtm of a running rtm-server (scripts/test.sh starts one; the
# tests read it at compile time) and chromium + chromedriver (scripts/setup.sh --test).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

: "${RTM_TEST_URL:?set RTM_TEST_URL=ws://IP:PORT/rtm of a running rtm-server}"
export RTM_TEST_URL
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$ROOT/webdriver.json}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

targets=()
if (($#)); then
  for name in "$@"; do targets+=("--test=$name"); done
else
  targets+=(--lib)
  for f in tests/*.rs; do [[ -e "$f" ]] && targets+=("--test=$(basename "$f" .rs)"); done
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
total_p=0 total_f=0 failed_targets=()
for t in "${targets[@]}"; do
  echo "==> wasm-pack test --headless --chrome $t  (RTM_TEST_URL=$RTM_TEST_URL)"
  rc=0
  # --mode no-install: use the wasm-bindgen / chromedriver already installed, never download.
  wasm-pack test --mode no-install --headless --chrome --chromedriver "$CHROMEDRIVER" "$t" \
    2>&1 | tee "$tmp" || rc=$?
  read -r p f < <(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$tmp" \
    | sed -nE 's/.*test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' \
    | awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }')
  if [[ $rc != 0 ]]; then
    failed_targets+=("$t")
    if [[ $f == 0 ]]; then f=1; echo "!! $t: exit $rc with no failed test (build error or timeout)"; fi
  fi
  total_p=$((total_p + p)); total_f=$((total_f + f))
done

[[ ${#failed_targets[@]} == 0 ]] || echo "!! failed: ${failed_targets[*]}"
echo "browser: $total_p passed, $total_f failed"
[[ $total_f == 0 ]]
