#!/usr/bin/env bash
# End to end in TAP mode: lwIP's own iperf 2 server on the device (lwiperf,
# firmware/net/iperf.c, port 5001) answers one short run of Debian's iperf 2
# client, and the device counts the session in /api/status. The Mbit/s is
# printed, never asserted: it measures this machine's load, not the device
# (TAP has no USB timing; make bench is where figures live).
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, iperf (2.x), curl, jq.
# Network: namespace stm32net-iperf-<pid> holds the simulator's tap0 and the
# client; deleted on exit, nothing leaves it.
set -euo pipefail
E2E_NAME=33-iperf
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip iperf curl jq stdbuf timeout
e2e_need_sim
e2e_init

NS=stm32net-iperf-$$
SIM_LOG=$E2E_TMP/sim.log
DEV=192.168.7.1
SECS=${IPERF_SECS:-2}
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }

ok() { e2e_ok "$@"; }
no() { e2e_no "$@"; }
trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || e2e_dump "simulator log" "$SIM_LOG"; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
nsx ip addr add 192.168.7.2/24 dev tap0
status() { nsx curl -sS --max-time 5 "http://$DEV/api/status"; }
before=$(status) || e2e_fail "no /api/status before the run"
s0=$(jq -r '.iperf.sessions' <<<"$before")
[ "$s0" = 0 ] && ok "no iperf session counted before the run" || no "iperf.sessions before the run: '$s0', expected 0"

# -y C: one CSV line per report, the last field is bits/s; -f k is not needed.
out=$(nsx timeout $((SECS + 15)) iperf -c "$DEV" -p 5001 -t "$SECS" -y C 2>&1) ||
  { echo "$out" | sed 's/^/    /'; e2e_fail "iperf client failed (exit $?)"; }
echo "$out" | sed 's/^/    /'
line=$(grep -E '^[0-9]{14},' <<<"$out" | tail -n1 || true)
[ -n "$line" ] || e2e_fail "iperf printed no report line"
bytes=$(cut -d, -f8 <<<"$line"); bps=$(cut -d, -f9 <<<"$line")
if [[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ]; then ok "iperf moved $bytes bytes"; else no "iperf transfer: '$bytes' bytes"; fi
mbit=$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e6 }')
e2e_log "throughput (TAP, unpaced, this machine's load): $mbit Mbit/s host -> device"

# lwiperf reports when the client's FIN arrives; poll briefly for the count.
for _ in $(seq 30); do
  after=$(status) || true
  [ "$(jq -r '.iperf.sessions' <<<"$after" 2>/dev/null)" = 1 ] && break
  sleep 0.1
done
s1=$(jq -r '.iperf.sessions' <<<"$after"); b1=$(jq -r '.iperf.bytes' <<<"$after")
[ "$s1" = 1 ] && ok "device counted 1 iperf session" || no "iperf.sessions after the run: '$s1', expected 1"
# the device counts the payload after iperf's 24/36-byte test header; the
# client's figure is all it wrote
if [[ "$b1" =~ ^[0-9]+$ ]] && [ "$b1" -gt 0 ] && [ "$b1" -le "$bytes" ]; then
  ok "device counted $b1 bytes (client sent $bytes)"
else
  no "iperf.bytes after the run: '$b1' (client sent $bytes)"
fi

[ $E2E_BAD -eq 0 ] || exit 1
e2e_log "PASS"
