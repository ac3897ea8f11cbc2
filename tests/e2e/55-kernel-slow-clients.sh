#!/usr/bin/env bash
# End to end through a real Linux kernel, issue 10: the QEMU guest attaches the
# simulator over USB/IP (vhci_hcd -> cdc_ether), then 8 TCP connections each
# hold half an HTTP request while ping, DNS, DHCP and a complete
# GET /api/status must each be answered within 200 ms; afterwards GET /api/mem
# must show the pools and heap at idle again. Guest side:
# scripts/guest/slow-clients.sh (the scenario, shared with 35-slow-clients.sh)
# + scripts/guest/slow-clients-check.sh (attach and lease).
# Layer: e2e test, host side. Needs build/stm32net-sim, qemu-system-x86_64 and
# the cached guest image (scripts/guest/build-guest.sh).
# Network: the simulator listens on 127.0.0.1 only (the guest sees 10.0.2.2);
# 192.168.7.x exists only between the guest kernel and the simulator.
# The 200 ms bound is measured inside the guest with /proc/uptime (10 ms
# steps) and includes starting the busybox applet under TCG.
set -euo pipefail
E2E_NAME=55-kernel-slow-clients
source "$(dirname "$0")/lib.sh"

e2e_need qemu-system-x86_64 cpio gzip timeout stdbuf
e2e_need_sim
e2e_init
e2e_guest_build

SIM_LOG=$E2E_TMP/sim.log
CONSOLE=$E2E_TMP/console.log
LIMIT_MS=${SLOW_LIMIT_MS:-200}
E2E_SIM_PREFIX="stdbuf -oL -eL" e2e_sim_start "$SIM_LOG" --listen 127.0.0.1:0
line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$SIM_LOG" '^stm32net-sim: exporting ' 10) || {
  e2e_dump "simulator log" "$SIM_LOG"; e2e_fail "simulator did not print its export line within 10 s"; }
port=$(sed -n 's/^stm32net-sim: exporting [^ ]* on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' <<<"$line")
busid=$(sed -n 's/^stm32net-sim: exporting \([^ ]*\) on .*/\1/p' <<<"$line")
[[ "$port" =~ ^[0-9]+$ ]] || e2e_fail "cannot read the port from: $line"

script=$E2E_TMP/test.sh
{ echo "PORT=$port"; echo "BUSID=$busid"; cat "$E2E_ROOT/scripts/guest/slow-clients.sh" \
  "$E2E_ROOT/scripts/guest/slow-clients-check.sh"; } > "$script"
bad=0
trap 'rc=$?; [ $rc -eq 0 ] && [ $bad -eq 0 ] || { e2e_dump "guest console" "$CONSOLE"; e2e_dump "simulator log" "$SIM_LOG"; }; e2e_cleanup' EXIT
qrc=0; e2e_guest_run "$script" "$CONSOLE" "${QEMU_TIMEOUT:-90}" || qrc=$?
[ "$qrc" -eq 0 ] || { bad=1; e2e_fail "qemu exited with $qrc (124 = timeout)"; }

declare -A got=()
while read -r _ k v; do got[$k]=$v; done < <(tr -d '\r' < "$CONSOLE" | grep -a '^RESULT ')
ok() { printf '  ok    %s\n' "$*"; }
no() { printf '  FAIL  %s\n' "$*"; bad=1; }
within() {
  local v=${got[$1]:-<missing>}
  if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -le "$LIMIT_MS" ]; then ok "$1 $v ms (<= $LIMIT_MS)"
  else no "$1: got \"$v\", expected <= $LIMIT_MS ms"; fi
}
is() { [ "${got[$1]:-<missing>}" = "$2" ] && ok "$1 $2" || no "$1: got \"${got[$1]:-<missing>}\", expected \"$2\""; }
is attach ok; is iface ok; is dhcp ok
within sc_ping_ms
is sc_dns ok; within sc_dns_ms
is sc_dhcp ok; within sc_dhcp_ms
is sc_http ok; within sc_http_ms
w=${got[sc_window_ms]:-x}
[[ "$w" =~ ^[0-9]+$ ]] && [ "$w" -lt 2000 ] && ok "all answered ${w} ms after the stalled clients came (before their 408)" ||
  no "measurements took \"$w\" ms: not all inside the stall"
before=${got[sc_mem_before]:-none}
[ "$before" != none ] && [ "$before" = "${got[sc_mem_after]:-}" ] &&
  ok "pools and heap back at idle: $before" || no "pools/heap before \"$before\", after \"${got[sc_mem_after]:-<missing>}\""
is done yes
kill -0 "$E2E_SIM_PID" 2>/dev/null || no "the simulator exited"
[ $bad -eq 0 ] || e2e_fail "slow-client checks through the kernel failed"
e2e_log PASS
