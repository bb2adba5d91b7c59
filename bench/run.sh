#!/usr/bin/env bash
# bench/run.sh [--smoke] — `npm run bench`: rtm-server side by side with its baselines, in one run.
#   1. rtm-bench (bench/src/, on rtm-client): fan-out, peer round trip, idle memory and churn
#      against rtm-server and raw-broadcast (a plain tokio-tungstenite server: the floor);
#   2. bench/socketio/load.mjs: the same scenarios against Socket.IO 4.8 rooms;
#   3. bench/browser/run.mjs: messages/s the wasm SDK dispatches in headless Chromium, against
#      a plain WebSocket page;
#   4. bench/report.mjs: results.json, table.md (each goal with its ratio) and SVG charts.
# Every runner starts its own servers on 127.0.0.1 and stops them. Full run: release builds,
# figures in bench/results/ (about 10 minutes). --smoke: tiny sizes on the debug builds, into
# .test-out/bench-smoke/, in well under a minute: npm test runs it so the benchmark cannot rot.
# Last line: `bench: N passed, M failed` (a failed check, or a runner that could not run).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

smoke=() out=bench/results bin=target/release
if [[ "${1:-}" == "--smoke" ]]; then smoke=(--smoke) out=.test-out/bench-smoke bin=target/debug; fi
mkdir -p "$out"
rm -f "$out"/{rust,socketio,browser}.json

# 15,000 idle connections are one socket each in the server and in the load generator.
soft="$(ulimit -n)"
if [[ "$soft" != unlimited && "$soft" -lt 20000 ]]; then ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi

if [[ -z "${RTM_BENCH_SKIP_BUILD:-}" ]]; then
  if [[ ${#smoke[@]} -gt 0 ]]; then
    cargo build -q -p rtm-server -p rtm-bench || { echo "bench: 0 passed, 1 failed"; exit 1; }
  else
    cargo build -q --release -p rtm-server -p rtm-bench || { echo "bench: 0 passed, 1 failed"; exit 1; }
  fi
  [[ -f pkg/index.cjs ]] || bash scripts/build-sdk.sh >/dev/null || { echo "bench: 0 passed, 1 failed"; exit 1; }
fi

echo "==> rtm-server and raw-broadcast (rtm-bench)"
"$bin/rtm-bench" "${smoke[@]}" --bin-dir "$bin" --out "$out/rust.json"
echo "==> Socket.IO 4.8 (bench/socketio)"
node bench/socketio/load.mjs "${smoke[@]}" --out "$out/socketio.json"
echo "==> the SDK in headless Chromium (bench/browser)"
RTM_SERVER_BIN="$PWD/$bin/rtm-server" node bench/browser/run.mjs "${smoke[@]}" --out "$out/browser.json"
echo "==> report"
node bench/report.mjs "$out"
