#!/usr/bin/env bash
# End to end with a real browser: headless Chromium, inside the test's own
# network namespace, loads the device's page over the TAP link and must show
# the device time the page's JavaScript fetched from /api/status.
# Layer: e2e test. Needs root, build/stm32net-sim, chromium (Debian package).
# Limits: --virtual-time-budget=5000 lets timers and fetches of the first 5 s of
# virtual time run before the DOM is dumped (TESTBED.md); a page that needs
# longer to show the time fails here.
# Network: namespace stm32net-web-<pid> only; Chromium's background traffic
# has no route out of it.
set -euo pipefail
E2E_NAME=40-browser
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip stdbuf timeout
e2e_need_sim
CHROMIUM=$(e2e_find_chromium)
e2e_init

NS=stm32net-web-$$
SIM_LOG=$E2E_TMP/sim.log
DOM=$E2E_TMP/dom.html
e2e_netns_add "$NS"
trap 'rc=$?; [ $rc -eq 0 ] || { e2e_dump "simulator log" "$SIM_LOG"; e2e_dump "chromium stderr" "$E2E_TMP/chromium.err"; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
# A static address: this test is about the page, not DHCP (30-tap-services).
ip netns exec "$NS" ip addr add 192.168.7.2/24 dev tap0

mapfile -t flags < <(e2e_chromium_flags "$E2E_TMP/profile")
e2e_log "chromium --dump-dom http://192.168.7.1/"
crc=0
HOME=$E2E_TMP ip netns exec "$NS" timeout -k 5 60 "$CHROMIUM" "${flags[@]}" \
  --virtual-time-budget=5000 --dump-dom http://192.168.7.1/ >"$DOM" 2>"$E2E_TMP/chromium.err" || crc=$?
[ "$crc" -eq 0 ] || { e2e_dump "dom" "$DOM"; e2e_fail "chromium failed (status $crc, 124 = timeout)"; }

grep -q '<html' "$DOM" || { e2e_dump "dom" "$DOM"; e2e_fail "no HTML in the dumped DOM"; }
# The element with id="time" and its text, whatever the tag.
el=$(tr -d '\n' < "$DOM" | grep -o '<[a-zA-Z0-9]*[^>]* id="time"[^>]*>[^<]*' | head -n1 || true)
[ -n "$el" ] || { e2e_dump "dom" "$DOM"; e2e_fail 'the DOM has no element with id="time"'; }
val=${el#*>}
e2e_log "id=\"time\" shows: '$val'"
if [[ "$val" =~ [0-9]{4}-[0-9]{2}-[0-9]{2}[T\ ][0-9]{2}:[0-9]{2}:[0-9]{2} ]]; then
  e2e_log "PASS: the page shows the device time fetched from /api/status"
else
  e2e_dump "dom" "$DOM"
  e2e_fail "id=\"time\" holds '$val', not a YYYY-MM-DDTHH:MM:SS time (did the page's fetch of /api/status run?)"
fi
