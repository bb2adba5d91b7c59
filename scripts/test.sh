#!/usr/bin/env bash
# test.sh — run every test suite of rtm-wasm and print one summary line `N passed, M failed` last.
#
# Why one script: the suites need each other's artifacts (a running rtm-server on a free port for
# the browser tests, the release SDK for the type check and the Playwright tests), and CI wants a
# single pass/fail plus counts. Stages run in order; a failed stage does not stop later ones.
#   1 native    cargo test --workspace --no-fail-fast       (libtest "test result:" lines); then
#     docs      `cargo doc -p rtm-client` with warnings as errors (1 test)
#   2 (setup)   cargo build -p rtm-server and rtm-client's examples (the echo bot); start the test
#               harness tests/harness/control.mjs (it runs rtm-server on a free port, a TCP proxy
#               in front of it and an HTTP control API to restart the server, sever links, mint
#               tokens and start bots); GET its /config
#   3 browser   scripts/test-browser.sh: wasm-pack test --headless --chrome per target (lib,
#               tests/*.rs) with RTM_TEST_URL=ws://IP:PORT/rtm (the server), RTM_TEST_PROXY_URL
#               (the proxy) and RTM_TEST_CONTROL=http://127.0.0.1:CPORT (the control API); it asks
#               the harness for its TLS server (wss://, for browser_tls) and the certificate's pin
#               (last line "browser: N passed, ...")
#   4 cluster   scripts/test-cluster.sh: the cluster suites tests/browser_cluster*.rs against two
#               rtm-server nodes on one Redis behind a load balancer (tests/harness/cluster.mjs,
#               started and stopped by that script), with RTM_TEST_NODE1, RTM_TEST_NODE2,
#               RTM_TEST_BALANCER and RTM_TEST_CLUSTER_CONTROL (last line "cluster: N passed, ...")
#   5 sdk-build scripts/build-sdk.sh (release pkg/, www/pkg) — 1 check
#     types     npx tsc --noEmit -p tests/types — 1 check (skipped if no tsconfig.json): usage.ts,
#               agora-app.ts (an agora-rtm-sdk 1.5.1 program) and wrong-listeners.ts against pkg/
#     types-agora npx tsc --noEmit -p tests/types/tsconfig.agora.json — 1 check: agora-app.ts
#               against agora-rtm-sdk 1.5.1's own typings (it is valid Agora code)
#     size      bench/sdk-size.sh --no-build: pkg/index.js gzipped within the budget
#               (last line "size: N passed, M failed")
#   6 e2e       node tests/e2e/run.mjs against a fresh harness (its own rtm-server, files in
#               .test-out/e2e/) with RTM_SERVER_URL=http://IP:PORT (that server, serving www/) and
#               RTM_TEST_CONTROL (its control API, to restart the server mid-test)
#               (last line "e2e: N passed, M failed")
#   7 examples  scripts/test-examples.sh: npm pack of pkg/, the example apps (examples/: Vite + TS,
#               webpack 5, webpack 4, plain pages, Vite's dev server) built and run in Chromium
#               against their own rtm-servers (last line "examples: N passed, M failed")
#   8 bench     bench/run.sh --smoke: every benchmark scenario (rtm-server, the raw floor,
#               Socket.IO, the SDK in Chromium) at a tiny size, checks included; not figures
# A stage that cannot run (build error, timeout, server down) counts as 1 failed. Each stage's
# output is shown and kept in .test-out/<stage>.log; the browser stage's harness logs to
# .test-out/control.log and its server to .test-out/server.log, the e2e stage's to
# .test-out/e2e-control.log and .test-out/e2e/server.log, the cluster stage's to
# .test-out/cluster-control.log and .test-out/cluster/ (redis.log, node1.log, node2.log).
# Expects scripts/setup.sh --test to have run. Every stage runs under `timeout`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"   # npm binaryen's wasm-opt before Debian's
OUT="$ROOT/.test-out"
mkdir -p "$OUT"
rm -rf "$OUT"/*.log "$OUT/e2e"

# Upper bounds in seconds (a hung stage must not hang CI); override through the environment.
T_NATIVE="${RTM_T_NATIVE:-1800}"    # includes compiling the workspace
T_BROWSER="${RTM_T_BROWSER:-900}"   # includes compiling the wasm tests
T_CLUSTER="${RTM_T_CLUSTER:-600}"   # the cluster suites: compiling them, Redis, two nodes, faults
T_SDK="${RTM_T_SDK:-900}"          # release SDK build; also bounds the server build
T_TYPES="${RTM_T_TYPES:-300}"
T_E2E="${RTM_T_E2E:-600}"
T_EXAMPLES="${RTM_T_EXAMPLES:-900}"  # includes each example's first npm install
T_BENCH="${RTM_T_BENCH:-600}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"  # per test binary, in-browser
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# CI builds everything once from a clean checkout: incremental caches would only double the disk
# the build needs (~2x target/debug), and disk is what ran out.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

PASS=0 FAIL=0 BROKEN=0
RESULTS=()
STAGE_PID="" TAIL_PID="" WD=""
CONTROL_PID="" CONTROL_WD="" CONTROL_URL="" TEST_URL="" PROXY_URL=""

step() { echo "==> $*"; }
record() {  # stage passed failed [note]
  PASS=$((PASS + $2)); FAIL=$((FAIL + $3))
  RESULTS+=("$(printf '%-10s %d passed, %d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}
broken() {  # stage note — the stage could not run: 1 failed, and the run fails
  BROKEN=1; echo "!! $1: $2"; record "$1" 0 1 "$2"
}
skipped() { echo "-- $1 skipped: $2"; RESULTS+=("$(printf '%-10s skipped  (%s)' "$1" "$2")"); }

# watchdog PID — TERM PID once this script is gone, even if it was SIGKILLed and its traps never
# ran (for `timeout`, that TERM reaches the whole command); sets WD to the watchdog's pid.
watchdog() {
  ( while kill -0 "$$" && kill -0 "$1"; do sleep 1; done; kill -TERM "$1" ) </dev/null >/dev/null 2>&1 &
  WD=$!
}
kill_wait() { local pid; for pid; do [[ -z "$pid" ]] || { kill -TERM "$pid"; wait "$pid"; } 2>/dev/null || true; done; }
stop_control() { kill_wait "$CONTROL_PID" "$CONTROL_WD"; CONTROL_PID="" CONTROL_WD="" CONTROL_URL=""; }
# shellcheck disable=SC2317  # invoked by trap
cleanup() { kill_wait "$STAGE_PID" "$TAIL_PID"; stop_control; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_logged NAME SECONDS CMD... — run CMD under timeout, output to the screen and
# .test-out/NAME.log; returns CMD's exit status (124 = timed out). `timeout` runs CMD in its own
# process group and kills that whole group (cargo's rustc, chromedriver, chromium) on expiry.
run_logged() {
  local name=$1 secs=$2 rc=0; shift 2
  local log="$OUT/$name.log"
  echo "\$ $*" > "$log"
  timeout -k 30 "$secs" "$@" >>"$log" 2>&1 </dev/null &
  STAGE_PID=$!
  watchdog "$STAGE_PID"
  # tail runs in the background too: `wait` (unlike a foreground child) lets INT/TERM traps run.
  tail -n +1 -s 0.3 --pid="$STAGE_PID" -f "$log" &
  TAIL_PID=$!
  wait "$STAGE_PID" || rc=$?
  wait "$TAIL_PID" || true
  kill_wait "$WD"; STAGE_PID="" TAIL_PID=""
  if [[ $rc == 124 || $rc == 137 ]]; then echo "!! $name: timed out after ${secs}s" | tee -a "$log"; fi
  return "$rc"
}

# libtest_counts LOG — sum every `test result: ok|FAILED. N passed; M failed` line: prints "N M".
libtest_counts() {
  sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1" \
    | sed -nE 's/.*test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' \
    | awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }'
}

# libtest_stage NAME SECONDS CMD... — run a cargo/wasm-pack test command and record its counts;
# a non-zero exit with no failed test (compile error, crash, timeout) counts as 1 failed.
libtest_stage() {
  local name=$1 secs=$2 rc=0 p f note=""; shift 2
  run_logged "$name" "$secs" "$@" || rc=$?
  read -r p f < <(libtest_counts "$OUT/$name.log")
  if [[ $rc != 0 && $f == 0 ]]; then f=1; BROKEN=1; note="exit $rc with no failed test: build error or timeout"; fi
  record "$name" "$p" "$f" "${note:+$note, see .test-out/$name.log}"
}

# summary_stage NAME SECONDS CMD... — for runners whose last line is `NAME: N passed, M failed`
# (test-browser.sh, tests/e2e/run.mjs). No such line (crash, timeout) or a non-zero exit with no
# failed test counts as 1 failed.
summary_stage() {
  local name=$1 secs=$2 rc=0 line p f note=""; shift 2
  run_logged "$name" "$secs" "$@" || rc=$?
  line="$(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$OUT/$name.log" \
    | grep -E "^$name: [0-9]+ passed, [0-9]+ failed" | tail -n 1 || true)"
  if [[ -n "$line" ]]; then
    read -r p f < <(sed -E "s/^$name: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/" <<<"$line")
  else
    read -r p f < <(libtest_counts "$OUT/$name.log")
    [[ $f != 0 ]] || f=1
    BROKEN=1; note="no '$name: N passed, M failed' line, exit $rc"
  fi
  if [[ $rc != 0 && $f == 0 ]]; then f=1; BROKEN=1; note="exit $rc with no failed test"; fi
  record "$name" "$p" "$f" "${note:+$note, see .test-out/$name.log}"
}

# wait_url LOG PID WHAT — wait up to 30 s for `WHAT listening on http://IP:PORT` in LOG while PID
# lives; prints the URL. Fails (printing nothing) if PID exits first or the time is up.
wait_url() {
  local log=$1 pid=$2 what=$3 line="" i
  for ((i = 0; i < 300; i++)); do
    line="$(sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log" \
      | grep -oE "$what listening on http://[0-9.]+:[0-9]+" | head -n 1 || true)"
    if [[ -n "$line" ]]; then echo "${line##* }"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_control [NAME [DIR]] — start the harness tests/harness/control.mjs (rtm-server + proxy +
# control API; its output in .test-out/NAME.log, default control.log; its config, data and
# server.log in DIR, default .test-out) and read its /config; sets CONTROL_URL, TEST_URL (the
# server's ws URL) and PROXY_URL. `timeout` without --foreground runs it in its own process group
# and, when TERMed (EXIT trap, watchdog) or expired, signals that whole group, rtm-server included.
start_control() {
  local name=${1:-control} dir=${2:-$OUT} urls
  local log="$OUT/$name.log"
  : > "$log"
  RTM_HARNESS_OUT="$dir" timeout -k 5 "${RTM_T_SERVER:-3600}" node tests/harness/control.mjs >"$log" 2>&1 </dev/null &
  CONTROL_PID=$!
  watchdog "$CONTROL_PID"
  CONTROL_WD=$WD
  if CONTROL_URL="$(wait_url "$log" "$CONTROL_PID" control)" \
    && urls="$(node -e 'fetch(process.argv[1] + "/config").then((r) => r.json())
         .then((c) => console.log(c.serverUrl, c.proxyUrl), (e) => { console.error(e.message); process.exit(1); })' \
         "$CONTROL_URL" 2>>"$log")" \
    && read -r TEST_URL PROXY_URL <<<"$urls" && [[ -n "$PROXY_URL" ]]; then
    step "harness up: control $CONTROL_URL, rtm-server $TEST_URL, proxy $PROXY_URL (logs: ${log#"$ROOT"/}, ${dir#"$ROOT"/}/server.log)"
    return 0
  fi
  echo "!! the test harness exited, printed no 'control listening on' line in 30 s or served no /config; its log:"
  cat "$log"
  stop_control; return 1
}

# --- 1. native tests ----------------------------------------------------------------------------
step "stage 1/8: native tests (cargo test --workspace)"
libtest_stage native "$T_NATIVE" cargo test --workspace --no-fail-fast
# rtm-client's public items are all documented, and its docs build without a warning.
if run_logged docs "$T_NATIVE" env RUSTDOCFLAGS="-D warnings" cargo doc -p rtm-client --no-deps; then
  record docs 1 0
else
  record docs 0 1 "cargo doc -p rtm-client warned, see .test-out/docs.log"
fi

# --- 2. server ----------------------------------------------------------------------------------
step "stage 2/8: build rtm-server and start the test harness (tests/harness/control.mjs)"
SERVER_BUILT=0 CONTROL_OK=0
# The echo bot (rtm-client's example) is for the browser suite's native-bot test (POST /bot).
run_logged server-build "$T_SDK" bash -c 'cargo build -p rtm-server && cargo build -p rtm-client --examples' &&
  SERVER_BUILT=1
[[ $SERVER_BUILT == 1 ]] && start_control && CONTROL_OK=1

# --- 3. browser tests ---------------------------------------------------------------------------
step "stage 3/8: browser tests (wasm-pack test --headless --chrome, one run per test target)"
if [[ $CONTROL_OK == 1 ]]; then
  summary_stage browser "$T_BROWSER" env RTM_TEST_URL="$TEST_URL" RTM_TEST_PROXY_URL="$PROXY_URL" \
    RTM_TEST_CONTROL="$CONTROL_URL" bash scripts/test-browser.sh
  kill -0 "$CONTROL_PID" 2>/dev/null || echo "!! the test harness died during the browser tests (see .test-out/control.log)"
else
  broken browser "rtm-server did not build or the harness did not start, see .test-out/server-build.log, control.log, server.log"
fi
stop_control

# --- 4. cluster tests ---------------------------------------------------------------------------
step "stage 4/8: cluster tests (scripts/test-cluster.sh: two rtm-server nodes on one Redis)"
if [[ $SERVER_BUILT != 1 ]]; then
  broken cluster "rtm-server did not build, see .test-out/server-build.log"
else
  summary_stage cluster "$T_CLUSTER" env RTM_SKIP_SERVER_BUILD=1 bash scripts/test-cluster.sh
fi

# --- 5. release SDK + TypeScript check ----------------------------------------------------------
step "stage 5/8: release SDK build and TypeScript check"
SDK_OK=0
if run_logged sdk-build "$T_SDK" bash scripts/build-sdk.sh; then
  SDK_OK=1; record sdk-build 1 0
else
  broken sdk-build "scripts/build-sdk.sh failed, see .test-out/sdk-build.log"
fi
if [[ ! -f tests/types/tsconfig.json ]]; then
  skipped types "tests/types/tsconfig.json does not exist"
elif [[ $SDK_OK != 1 ]]; then
  broken types "needs the SDK build"
elif run_logged types "$T_TYPES" npx --no -- tsc --noEmit -p tests/types; then
  record types 1 0
else
  record types 0 1
fi
if [[ ! -f tests/types/tsconfig.agora.json ]]; then
  skipped types-agora "tests/types/tsconfig.agora.json does not exist"
elif run_logged types-agora "$T_TYPES" npx --no -- tsc --noEmit -p tests/types/tsconfig.agora.json; then
  record types-agora 1 0
else
  record types-agora 0 1
fi
if [[ $SDK_OK != 1 ]]; then
  broken size "needs the SDK build"
else
  summary_stage size "$T_TYPES" bash bench/sdk-size.sh --no-build
fi

# --- 6. Playwright end-to-end -------------------------------------------------------------------
step "stage 6/8: end-to-end tests (node tests/e2e/run.mjs)"
if [[ ! -f tests/e2e/run.mjs ]]; then
  skipped e2e "tests/e2e/run.mjs does not exist"
elif [[ $SDK_OK != 1 ]]; then
  broken e2e "needs the SDK build"
elif [[ $SERVER_BUILT != 1 ]] || ! { rm -rf "$OUT/e2e"; start_control e2e-control "$OUT/e2e"; }; then
  broken e2e "rtm-server did not build or the harness did not start, see .test-out/server-build.log, e2e-control.log, e2e/server.log"
else
  # The pages load from the server itself: http://IP:PORT of its ws://IP:PORT/rtm.
  E2E_HOST="${TEST_URL#ws://}"
  summary_stage e2e "$T_E2E" env RTM_SERVER_URL="http://${E2E_HOST%%/*}" RTM_TEST_CONTROL="$CONTROL_URL" \
    node tests/e2e/run.mjs
  kill -0 "$CONTROL_PID" 2>/dev/null || echo "!! the test harness died during the e2e tests (see .test-out/e2e-control.log)"
  stop_control
fi

# --- 7. example apps ----------------------------------------------------------------------------
step "stage 7/8: example apps (scripts/test-examples.sh)"
if [[ $SDK_OK != 1 ]]; then
  broken examples "needs the SDK build"
else
  summary_stage examples "$T_EXAMPLES" bash scripts/test-examples.sh
fi

# --- 8. benchmark smoke -------------------------------------------------------------------------
step "stage 8/8: benchmark smoke (bash bench/run.sh --smoke: every scenario at a tiny size)"
if [[ $SDK_OK != 1 ]]; then
  broken bench "needs the SDK build"
else
  summary_stage bench "$T_BENCH" bash bench/run.sh --smoke
fi

# --- summary ------------------------------------------------------------------------------------
echo
step "summary (logs in .test-out/)"
for r in "${RESULTS[@]}"; do echo "    $r"; done
echo "$PASS passed, $FAIL failed"
if [[ $FAIL != 0 || $BROKEN != 0 ]]; then exit 1; fi
exit 0
