#!/usr/bin/env bash
# Channel fan-out across a cluster, side by side with one node, in one run (issue: cluster mode).
# Starts Debian's redis-server on a free 127.0.0.1 port (temp dir, AOF on, stopped at exit), then
# runs server/examples/fanout.rs alternately as one node on the embedded engine and as N nodes on
# that Redis (senders on node 1, the other members spread over all nodes), ROUNDS times each, and
# prints every median line. The figure to compare is deliveries_per_s of the two kinds.
#
# Usage: bash bench/fanout-cluster.sh [rounds=3] [nodes=2] [fanout args...]
#   e.g. bash bench/fanout-cluster.sh 3 2 members=200 senders=20 count=50 repeat=3
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"; nodes="${2:-2}"; shift $(( $# > 2 ? 2 : $# ))
args=("$@"); [[ ${#args[@]} -gt 0 ]] || args=(members=200 senders=20 count=50 repeat=3)

command -v redis-server >/dev/null || { echo "redis-server missing: run scripts/setup.sh --test" >&2; exit 2; }
cargo build --quiet --release -p rtm-server --example fanout
soft="$(ulimit -n)"
if [[ "$soft" != unlimited && "$soft" -lt 10240 ]]; then ulimit -n 10240 2>/dev/null || true; fi

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --save '' >"$dir/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

bin=target/release/examples/fanout
for r in $(seq "$rounds"); do
  echo "== run $r: one node, embedded engine"
  "$bin" "${args[@]}" | tail -1
  echo "== run $r: $nodes nodes on Redis"
  "$bin" "${args[@]}" nodes="$nodes" redis="redis://127.0.0.1:$port" | tail -1
done
