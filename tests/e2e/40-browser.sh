#!/usr/bin/env bash
# End to end with a real browser (issue 15): Debian's Chromium, driven by
# puppeteer-core (tests/browser/page-test.mjs), inside the test's own network
# namespace, uses the device's page over the TAP link: the device time
# advances, an LED switch changes the page and /api/status, a press of the
# simulator's button (SIGUSR1) is counted, the clock is set from this
# computer, the throughput chart has points, no console errors.
# Layer: e2e test. Needs root, build/stm32net-sim, chromium, node and
# puppeteer-core in tests/browser/node_modules (make deps installs both).
# Network: namespace stm32net-web-<pid> only; Chromium's background traffic
# has no route out of it.
set -euo pipefail
E2E_NAME=40-browser
source "$(dirname "$0")/lib.sh"

e2e_need node
[ -f "$E2E_ROOT/tests/browser/node_modules/puppeteer-core/package.json" ] ||
  e2e_fail "puppeteer-core is not installed in tests/browser/node_modules (run: make deps)"

# Namespace, simulator in TAP mode, static host address 192.168.7.2: this
# test is about the page, not DHCP (30-tap-services).
e2e_browser_ns stm32net-web

e2e_log "puppeteer-core + $CHROMIUM -> http://192.168.7.1/"
rc=0
HOME=$E2E_TMP ip netns exec "$NS" timeout -k 5 120 node "$E2E_ROOT/tests/browser/page-test.mjs" \
  --url http://192.168.7.1/ --sim-pid "$E2E_SIM_PID" --chromium "$CHROMIUM" \
  --profile "$E2E_TMP/profile" ${SHOT:+--shot "$SHOT"} >"$E2E_TMP/page-test.out" 2>"$E2E_TMP/chromium.err" || rc=$?
sed "s/^/[$E2E_NAME] /" "$E2E_TMP/page-test.out"
[ "$rc" -eq 0 ] || e2e_fail "the browser checks failed (status $rc, 124 = timeout)"
e2e_log "PASS: the page works in a real browser"
