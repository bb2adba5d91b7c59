#!/usr/bin/env bash
# test-browser.sh [NAME...] — run the SDK's wasm-bindgen-test suites in headless Chromium.
#
# Why a loop: `wasm-pack test` stops at the first failing test binary and cannot be given
# cargo's --no-fail-fast (it passes extra arguments to `cargo build` too, which rejects it).
# So this runs one `wasm-pack test` per target — the lib, then each tests/NAME.rs (or only the
# NAMEs given) — and sums their libtest "test result:" lines. A target that fails without a
# failed test (compile error, runner timeout) counts as 1 failed. Last line:
# `browser: N passed, M failed`; exit status non-zero if anything failed.
# The tests read at compile time (option_env!, so cargo rebuilds them when these change):
#   RTM_TEST_URL=ws://IP:PORT/rtm          rtm-server, directly
#   RTM_TEST_PROXY_URL=ws://IP:PPORT/rtm   the same server through the harness's TCP proxy
#   RTM_TEST_CONTROL=http://127.0.0.1:CPORT the harness's control API (restart, sever, token, config)
# scripts/test.sh starts the harness (tests/harness/control.mjs) and sets all three. Run alone
# with none of them set, this script builds rtm-server, starts the harness itself (logs in
# .test-out/control.log, server.log) and stops it at the end; with only RTM_TEST_CONTROL (a harness
# already running), it asks that harness's /config for the other two. With only RTM_TEST_URL (a
# server of your own), tests that need the proxy or the control API cannot run. Needs chromium +
# chromedriver (scripts/setup.sh --test).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

harness_pid=""
tmp="$(mktemp)"
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
  rm -f "$tmp"
  if [[ -n "$harness_pid" ]]; then kill -TERM "$harness_pid" 2>/dev/null || true; wait "$harness_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT   # if this script is killed instead, the harness notices its parent is gone

if [[ -z "${RTM_TEST_URL:-}" && -z "${RTM_TEST_CONTROL:-}" ]]; then
  echo "==> no RTM_TEST_URL / RTM_TEST_CONTROL: building rtm-server and starting tests/harness/control.mjs"
  cargo build -q -p rtm-server
  mkdir -p .test-out
  node tests/harness/control.mjs >.test-out/control.log 2>&1 </dev/null &
  harness_pid=$!
  for ((i = 0; i < 300; i++)); do   # up to 30 s
    RTM_TEST_CONTROL="$(grep -oE 'control listening on http://[0-9.]+:[0-9]+' .test-out/control.log | head -n 1 || true)"
    [[ -z "$RTM_TEST_CONTROL" ]] || break
    kill -0 "$harness_pid" 2>/dev/null || break
    sleep 0.1
  done
  RTM_TEST_CONTROL="${RTM_TEST_CONTROL##* }"
  [[ -n "$RTM_TEST_CONTROL" ]] || { echo "!! the harness did not start:"; cat .test-out/control.log; exit 1; }
fi
if [[ -z "${RTM_TEST_URL:-}" ]]; then   # a harness is running: ask it where its server and proxy are
  read -r RTM_TEST_URL RTM_TEST_PROXY_URL < <(node -e 'fetch(process.argv[1] + "/config")
    .then((r) => r.json()).then((c) => console.log(c.serverUrl, c.proxyUrl))' "$RTM_TEST_CONTROL") || true
fi
: "${RTM_TEST_URL:?could not read the harness /config at $RTM_TEST_CONTROL}"
# Exported only when set: an empty value would reach the tests as Some("").
for v in RTM_TEST_URL RTM_TEST_PROXY_URL RTM_TEST_CONTROL; do
  if [[ -n "${!v:-}" ]]; then export "${v?}"; else
    unset "$v"; echo "-- $v is not set: tests that need it cannot run"
  fi
done
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

total_p=0 total_f=0 failed_targets=()
for t in "${targets[@]}"; do
  echo "==> wasm-pack test --headless --chrome $t  (RTM_TEST_URL=$RTM_TEST_URL" \
    "RTM_TEST_PROXY_URL=${RTM_TEST_PROXY_URL:-} RTM_TEST_CONTROL=${RTM_TEST_CONTROL:-})"
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
