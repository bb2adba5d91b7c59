#!/usr/bin/env bash
# serve.sh — run rtm-server (release) in the foreground, serving www/ (demo pages + www/pkg SDK).
#
# Why: last step of `npm start` (after setup.sh and build-sdk.sh). The server is built first so
# the URL line below is printed right before the server starts, not minutes before.
# Listen address: $RTM_LISTEN (default 127.0.0.1:8080). Ctrl-C stops it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LISTEN="${RTM_LISTEN:-127.0.0.1:8080}"

echo "==> cargo build --release -p rtm-server"
cargo build --release -p rtm-server

[[ -e www/pkg ]] || echo "warning: www/pkg missing: run scripts/build-sdk.sh (npm run build)" >&2
echo "==> starting rtm-server: open http://$LISTEN/ (Ctrl-C to stop)"
exec cargo run --release -q -p rtm-server -- --listen "$LISTEN" --www www
