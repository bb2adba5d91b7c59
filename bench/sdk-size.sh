#!/usr/bin/env bash
# Measures the SDK's shipped size: the release build's wasm and JS, raw and
# gzipped (-9), and their sum, against the 40 KB gzipped target. Prints one
# markdown table row per file; docs/benchmarks.md records the figures.
# Usage: bash bench/sdk-size.sh   (builds pkg/ first through scripts/build-sdk.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/build-sdk.sh >/dev/null 2>&1
total=0
echo "| file | raw bytes | gzip -9 bytes |"
echo "|---|---|---|"
for f in pkg/rtm_wasm_bg.wasm pkg/rtm_wasm.js pkg/index.js; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  echo "| $(basename "$f") | $raw | $gz |"
done
echo "| **total** | | **$total** (target 40960) |"
