# shellcheck shell=bash
# scripts/wasm-suites.sh — sourced by scripts/test-browser.sh and scripts/test-cluster.sh: start a
# test harness and wait for its control API, then run wasm-bindgen-test suites one `wasm-pack
# test` per target and sum their results into one summary line.
#
# Why one `wasm-pack test` per target: it stops at the first failing test binary and cannot be
# given cargo's --no-fail-fast (it passes extra arguments to `cargo build` too, which rejects it).
# Why shared: both runners must count the same way (a target that fails without a failed test —
# compile error, runner timeout — counts as 1 failed) and clean up their harness the same way.
#
# Sourcing this sets `set -euo pipefail`, cds to the repo root ($ROOT), puts node_modules/.bin first
# on PATH, and installs traps: on exit the harness started by start_harness is stopped (if this
# script is SIGKILLed instead, the harness notices its parent is gone and stops itself).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="${WASM_BINDGEN_TEST_WEBDRIVER_JSON:-$ROOT/webdriver.json}"

HARNESS_PID=""
SUITE_OUT="$(mktemp)"
# chromedriver makes each session's Chromium profile (~20 MB) in $TMPDIR and leaves it behind when
# wasm-pack's runner ends without closing the session: a run leaked ~15 of them into /tmp. Each
# suite gets this scratch directory as TMPDIR instead, emptied after every target.
BROWSER_TMP="$(mktemp -d)"
# shellcheck disable=SC2317  # invoked by trap
suites_cleanup() {
  rm -rf "$SUITE_OUT" "$BROWSER_TMP"
  if [[ -n "$HARNESS_PID" ]]; then kill -TERM "$HARNESS_PID" 2>/dev/null || true; wait "$HARNESS_PID" 2>/dev/null || true; fi
}
trap suites_cleanup EXIT
# Without these, bash killed by INT/TERM would skip the EXIT trap and leave the harness running
# until it notices.
trap 'exit 130' INT
trap 'exit 143' TERM

# start_harness SCRIPT LOG SECONDS — start `node SCRIPT` (its output to LOG) and wait up to SECONDS
# for its `control listening on http://IP:PORT` line; sets HARNESS_PID and HARNESS_URL. Returns 1,
# having printed LOG, if the harness exits or prints no such line in time.
start_harness() {
  local script=$1 log=$2 secs=$3 i line=""
  mkdir -p "$(dirname "$log")"
  : >"$log"   # now, not in the child: the wait below must never read a previous run's URL
  node "$script" >"$log" 2>&1 </dev/null &
  HARNESS_PID=$!
  for ((i = 0; i < secs * 10; i++)); do
    line="$(grep -oE 'control listening on http://[0-9.]+:[0-9]+' "$log" | head -n 1 || true)"
    [[ -z "$line" ]] || break
    kill -0 "$HARNESS_PID" 2>/dev/null || break
    sleep 0.1
  done
  HARNESS_URL="${line##* }"
  if [[ -z "$HARNESS_URL" ]]; then
    echo "!! the harness ($script) did not start:"; cat "$log"
    return 1
  fi
}

# harness_config URL FIELD... — prints the FIELDs of the harness's GET /config, space-separated
# (empty output if it did not answer).
harness_config() {
  node -e 'fetch(process.argv[1] + "/config").then((r) => r.json())
    .then((c) => console.log(process.argv.slice(2).map((k) => c[k] ?? "").join(" ")))' "$@" || true
}

# run_suites LABEL TARGET... — one `wasm-pack test --headless --chrome TARGET` each (TARGET: --lib
# or --test=NAME), in order, with SUITE_ARGS (an array, may be empty) after `--`; SUITE_ENV (text)
# is shown with each. With SUITE_NEED_TESTS=1 a target in which no test ran counts as 1 failed.
# Prints `==> TARGET: N passed, M failed in S s` per target and, last, `LABEL: N passed, M failed`;
# returns non-zero if anything failed.
run_suites() {
  local label=$1 t rc p f started total_p=0 total_f=0 failed=(); shift
  local extra=()
  if ((${#SUITE_ARGS[@]})); then extra=(-- "${SUITE_ARGS[@]}"); fi
  for t in "$@"; do
    echo "==> wasm-pack test --headless --chrome $t  (${SUITE_ENV:-})"
    rc=0 started=$SECONDS
    # --mode no-install: use the wasm-bindgen / chromedriver already installed, never download.
    TMPDIR="$BROWSER_TMP" wasm-pack test --mode no-install --headless --chrome --chromedriver "$CHROMEDRIVER" \
      "$t" "${extra[@]}" 2>&1 | tee "$SUITE_OUT" || rc=$?
    find "$BROWSER_TMP" -mindepth 1 -delete 2>/dev/null || true
    read -r p f < <(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$SUITE_OUT" \
      | sed -nE 's/.*test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' \
      | awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }')
    if [[ $rc != 0 ]]; then
      failed+=("$t")
      if [[ $f == 0 ]]; then f=1; echo "!! $t: exit $rc with no failed test (build error or timeout)"; fi
    elif [[ ${SUITE_NEED_TESTS:-0} == 1 && $p == 0 ]]; then
      failed+=("$t"); f=1; echo "!! $t: no test ran"
    fi
    echo "==> $t: $p passed, $f failed in $((SECONDS - started)) s"
    total_p=$((total_p + p)); total_f=$((total_f + f))
  done
  [[ ${#failed[@]} == 0 ]] || echo "!! failed: ${failed[*]}"
  if [[ -n "$HARNESS_PID" ]] && ! kill -0 "$HARNESS_PID" 2>/dev/null; then
    echo "!! the harness died during the tests (see its log)"
  fi
  echo "$label: $total_p passed, $total_f failed"
  [[ $total_f == 0 ]]
}
