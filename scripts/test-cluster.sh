#!/usr/bin/env bash
# test-cluster.sh [NAME...] — run the cluster browser suites (tests/browser_cluster*.rs, or only the
# NAMEs given) in headless Chromium against two rtm-server nodes on one Redis, one `wasm-pack test`
# per file (see scripts/wasm-suites.sh). Last line: `cluster: N passed, M failed`; exit status
# non-zero if anything failed (a file in which no test ran counts as failed too).
#
# Why its own script: these suites need a different harness than the others (redis-server, two
# nodes in cluster mode, a load balancer: tests/harness/cluster.mjs) and they kill nodes and restart
# Redis, so they never share a server with the rest. scripts/test.sh runs this as its `cluster`
# stage; scripts/test-browser.sh skips these files.
#
# Unless RTM_TEST_CLUSTER_CONTROL names a running cluster harness, this starts one (logs in
# .test-out/cluster-control.log and .test-out/cluster/: redis.log, node1.log, node2.log) and stops
# it at the end. It asks the harness's /config for the URLs and passes them at compile time
# (option_env!): RTM_TEST_NODE1, RTM_TEST_NODE2 (ws URLs of the nodes), RTM_TEST_BALANCER (ws URL of
# the load balancer), RTM_TEST_CLUSTER_CONTROL (the control API).
# Needs target/debug/rtm-server built with --redis (this builds it when starting the harness unless
# RTM_SKIP_SERVER_BUILD is set), redis-server, chromium + chromedriver (scripts/setup.sh --test).
source "$(dirname "${BASH_SOURCE[0]}")/wasm-suites.sh"

if [[ -z "${RTM_TEST_CLUSTER_CONTROL:-}" ]]; then
  if [[ -z "${RTM_SKIP_SERVER_BUILD:-}" ]]; then
    echo "==> cargo build -p rtm-server"
    cargo build -q -p rtm-server
  fi
  log=.test-out/cluster-control.log
  echo "==> starting tests/harness/cluster.mjs (log: $log)"
  # Up to 60 s: Redis, two nodes, the check that the nodes connected to Redis.
  if ! start_harness tests/harness/cluster.mjs "$log" 60; then
    echo "cluster: 0 passed, 1 failed"
    exit 1
  fi
  RTM_TEST_CLUSTER_CONTROL=$HARNESS_URL
  cat "$log"
fi
export RTM_TEST_CLUSTER_CONTROL
read -r RTM_TEST_NODE1 RTM_TEST_NODE2 RTM_TEST_BALANCER \
  < <(harness_config "$RTM_TEST_CLUSTER_CONTROL" node1Url node2Url balancerUrl)
if [[ -z "${RTM_TEST_BALANCER:-}" ]]; then
  echo "!! could not read the cluster harness's /config at $RTM_TEST_CLUSTER_CONTROL"
  echo "cluster: 0 passed, 1 failed"
  exit 1
fi
export RTM_TEST_NODE1 RTM_TEST_NODE2 RTM_TEST_BALANCER
export WASM_BINDGEN_TEST_TIMEOUT="${RTM_CLUSTER_TEST_TIMEOUT:-300}"  # per file: fault tests wait for leases

names=("$@")
if ((${#names[@]} == 0)); then
  # The fault suites (they kill nodes and restart Redis) last, whatever their names sort as.
  for f in tests/browser_cluster*.rs; do [[ -e "$f" && $f != *fault* ]] && names+=("$(basename "$f" .rs)"); done
  for f in tests/browser_cluster*fault*.rs; do [[ -e "$f" ]] && names+=("$(basename "$f" .rs)"); done
fi
targets=()
for name in "${names[@]}"; do targets+=("--test=$name"); done

# --nocapture: the fault tests print how long recoveries took (a few lines; the SDK is quiet).
SUITE_ARGS=(--nocapture)
SUITE_NEED_TESTS=1
SUITE_ENV="RTM_TEST_NODE1=$RTM_TEST_NODE1 RTM_TEST_NODE2=$RTM_TEST_NODE2 RTM_TEST_BALANCER=$RTM_TEST_BALANCER RTM_TEST_CLUSTER_CONTROL=$RTM_TEST_CLUSTER_CONTROL"
run_suites cluster "${targets[@]}"
