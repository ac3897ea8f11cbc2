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

# Namespace, simulator in TAP mode, static host address 192.168.7.2: this
# test is about the page, not DHCP (30-tap-services).
e2e_browser_ns stm32net-web
DOM=$E2E_TMP/dom.html

e2e_log "chromium --dump-dom http://192.168.7.1/"
e2e_chromium "$DOM" --virtual-time-budget=5000 --dump-dom http://192.168.7.1/
[ "$E2E_CHROMIUM_RC" -eq 0 ] || { e2e_dump "dom" "$DOM"; e2e_fail "chromium failed (status $E2E_CHROMIUM_RC, 124 = timeout)"; }

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
