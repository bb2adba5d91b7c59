#!/usr/bin/env bash
# Channel fan-out load test (server/examples/fanout.rs): M members in one channel, S of them sending
# K messages each; prints deliveries per second for each round and the median. Client and server
# run in one process on this machine, so compare figures from the same machine only.
#
# Usage: bash bench/fanout.sh [members=200] [senders=20] [count=50] [repeat=1] [timeout=30]
#   e.g. bash bench/fanout.sh members=200 senders=20 count=50 repeat=5
# Exits non-zero when a round misses deliveries (slow-consumer closes, refusals, deadline).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Two sockets per member live in the one process (members <= 4000): raise a low open-file limit,
# never lower one, and go on with what the hard limit allows.
soft="$(ulimit -n)"
if [[ "$soft" != unlimited && "$soft" -lt 10240 ]]; then
  ulimit -n 10240 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi

exec cargo run --quiet --release -p rtm-server --example fanout -- "$@"
