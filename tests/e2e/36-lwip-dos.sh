#!/usr/bin/env bash
# End to end in TAP mode, issue 10: the two remote denials of service found in
# lwIP 2.1.3 (fixed by scripts/lwip-patches/) replayed with raw frames from a
# made-up host (tests/e2e/raw_tcp.py):
#  - leak: connections whose ACKs all carry a data byte while the page is sent
#    (lwIP leaked a pool pbuf when the server closed from its sent callback):
#    afterwards GET /api/mem shows no pool pbuf in use and the device answers;
#  - mss: SYN with window 0, GET, the 1-byte window probe acked with window 40
#    (lwIP halted in "mss_local is too small"): the simulator keeps running,
#    the connection completes without RST, the device answers.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, busybox, curl,
# python3. Network: namespace stm32net-dos-<pid> only, deleted on exit.
set -euo pipefail
E2E_NAME=36-lwip-dos
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip busybox curl python3 stdbuf timeout
e2e_need_sim
e2e_init

e2e_tap_client stm32net-dos

mem() { e2e_api_mem; }
used() { e2e_mem_used "$@"; }
alive() {  # what: the simulator runs and answers a complete GET
  kill -0 "$E2E_SIM_PID" 2>/dev/null || { e2e_no "$1: the simulator exited ($(tail -n 3 "$SIM_LOG" | tr '\n' ' '))"; return; }
  code=$(nsx curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://$DEV/api/status" 2>&1) || true
  [ "$code" = 200 ] && e2e_ok "$1: device answers GET /api/status" || e2e_no "$1: GET /api/status gave \"$code\""
}

CASES=${DOS_CASES:-leak mss}   # one alone: to see each fail on an unpatched build
for c in $CASES; do case "$c" in leak|mss) ;; *) e2e_fail "DOS_CASES: unknown case '$c' (leak, mss)" ;; esac; done
[ -n "${CASES// /}" ] || e2e_fail "DOS_CASES names no case (leak, mss)"
if [[ " $CASES " == *" leak "* ]]; then
raw=$(nsx timeout 60 python3 "$E2E_ROOT/tests/e2e/raw_tcp.py" tap0 $DEV leak 6 2>&1) || e2e_no "raw_tcp.py leak failed: $raw"
echo "$raw" | sed 's/^/    /'
grep -q '^RAW leak_answered 6$' <<<"$raw" && e2e_ok "6 crafted connections got the page" || e2e_no "not every crafted connection got the page"
sleep 3   # lingering closes run out
m=$(mem)
[ "$(used pbuf_pool "$m")" = 0 ] && e2e_ok "no pool pbuf left in use: $m" || e2e_no "pool pbufs in use after the leak trigger: $m"
alive leak
fi
if [[ " $CASES " == *" mss "* ]]; then

raw=$(nsx timeout 60 python3 "$E2E_ROOT/tests/e2e/raw_tcp.py" tap0 $DEV mss 2>&1) || e2e_no "raw_tcp.py mss failed: $raw"
echo "$raw" | sed 's/^/    /'
grep -q '^RAW mss_probe_bytes 1$' <<<"$raw" && e2e_ok "device sent its 1-byte window probe" || e2e_no "no window probe seen"
grep -q '^RAW mss_rst 0$' <<<"$raw" && grep -q '^RAW mss_page 1$' <<<"$raw" &&
  e2e_ok "window 0 -> 40 -> 8192: the page arrived whole, no RST" || e2e_no "the window-probe connection did not complete"
alive mss
fi
[ $E2E_BAD -eq 0 ] || e2e_fail "lwIP DoS checks failed"
e2e_log PASS
