#!/usr/bin/env bash
# test-browser.sh [NAME...] — run the SDK's wasm-bindgen-test suites in headless Chromium: the lib,
# then each tests/NAME.rs (or only the NAMEs given), one `wasm-pack test` each (see
# scripts/wasm-suites.sh). Not tests/browser_cluster*.rs: those run against a cluster, see
# scripts/test-cluster.sh. Last line: `browser: N passed, M failed`; exit status non-zero if
# anything failed.
# The tests read at compile time (option_env!, so cargo rebuilds them when these change):
#   RTM_TEST_URL=ws://IP:PORT/rtm          rtm-server, directly
#   RTM_TEST_PROXY_URL=ws://IP:PPORT/rtm   the same server through the harness's TCP proxy
#   RTM_TEST_CONTROL=http://127.0.0.1:CPORT the harness's control API (restart, sever, token, config)
#   RTM_TEST_TLS_URL=wss://IP:TPORT/rtm     the harness's second rtm-server, on TLS (tests/browser_tls.rs)
# With a harness (RTM_TEST_CONTROL) and no RTM_TEST_TLS_URL, this script asks the harness for its TLS
# server's URL and certificate pin, and runs Chromium with a webdriver.json that trusts that
# certificate (.test-out/webdriver-tls.json: WASM_BINDGEN_TEST_WEBDRIVER_JSON plus the pin).
# scripts/test.sh starts the harness (tests/harness/control.mjs) and sets all three. Run alone
# with none of them set, this script builds rtm-server, starts the harness itself (logs in
# .test-out/control.log, server.log) and stops it at the end; with only RTM_TEST_CONTROL (a harness
# already running), it asks that harness's /config for the other two. With only RTM_TEST_URL (a
# server of your own), tests that need the proxy or the control API cannot run. Needs chromium +
# chromedriver (scripts/setup.sh --test).
source "$(dirname "${BASH_SOURCE[0]}")/wasm-suites.sh"

if [[ -z "${RTM_TEST_URL:-}" && -z "${RTM_TEST_CONTROL:-}" ]]; then
  echo "==> no RTM_TEST_URL / RTM_TEST_CONTROL: building rtm-server and starting tests/harness/control.mjs"
  cargo build -q -p rtm-server && cargo build -q -p rtm-client --examples
  start_harness tests/harness/control.mjs .test-out/control.log 30 || exit 1
  RTM_TEST_CONTROL=$HARNESS_URL
fi
if [[ -z "${RTM_TEST_URL:-}" ]]; then   # a harness is running: ask it where its server and proxy are
  read -r RTM_TEST_URL RTM_TEST_PROXY_URL < <(harness_config "$RTM_TEST_CONTROL" serverUrl proxyUrl)
fi
: "${RTM_TEST_URL:?could not read the harness /config at $RTM_TEST_CONTROL}"
if [[ -n "${RTM_TEST_CONTROL:-}" && -z "${RTM_TEST_TLS_URL:-}" ]]; then
  read -r RTM_TEST_TLS_URL TLS_SPKI < <(harness_config "$RTM_TEST_CONTROL" tlsUrl tlsSpki) || true
  if [[ -n "${TLS_SPKI:-}" ]]; then   # Chromium trusts the harness's certificate, by its key's pin
    mkdir -p .test-out
    node -e 'const fs = require("fs"); const [from, to, pin] = process.argv.slice(1);
      const json = JSON.parse(fs.readFileSync(from, "utf8")); const opts = json["goog:chromeOptions"] ??= {};
      (opts.args ??= []).push(`ignore-certificate-errors-spki-list=${pin}`);
      fs.writeFileSync(to, JSON.stringify(json, null, 2));' \
      "$WASM_BINDGEN_TEST_WEBDRIVER_JSON" .test-out/webdriver-tls.json "$TLS_SPKI"
    export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/.test-out/webdriver-tls.json"
  fi
fi
# Exported only when set: an empty value would reach the tests as Some("").
for v in RTM_TEST_URL RTM_TEST_PROXY_URL RTM_TEST_CONTROL RTM_TEST_TLS_URL; do
  if [[ -n "${!v:-}" ]]; then export "${v?}"; else
    unset "$v"; echo "-- $v is not set: tests that need it cannot run"
  fi
done
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

targets=()
if (($#)); then
  for name in "$@"; do targets+=("--test=$name"); done
else
  targets+=(--lib)
  for f in tests/*.rs; do
    # The cluster suites need their own harness (two nodes on Redis): scripts/test-cluster.sh.
    # Without its URLs they fail on purpose, so they are left out here, never run half-configured.
    case "$(basename "$f")" in browser_cluster*.rs) continue ;; esac
    [[ -e "$f" ]] && targets+=("--test=$(basename "$f" .rs)")
  done
fi

SUITE_ARGS=()
SUITE_ENV="RTM_TEST_URL=$RTM_TEST_URL RTM_TEST_PROXY_URL=${RTM_TEST_PROXY_URL:-} RTM_TEST_CONTROL=${RTM_TEST_CONTROL:-} RTM_TEST_TLS_URL=${RTM_TEST_TLS_URL:-}"
run_suites browser "${targets[@]}"
