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
source "$(dirname "$0")/slow-clients-judge.sh"

e2e_guest_test_init
LIMIT_MS=${SLOW_LIMIT_MS:-200}
e2e_usbip_sim "$SIM_LOG"
port=$E2E_PORT busid=$E2E_BUSID

script=$E2E_TMP/test.sh
{ echo "PORT=$port"; echo "BUSID=$busid"; cat "$E2E_ROOT/scripts/guest/slow-clients.sh" \
  "$E2E_ROOT/scripts/guest/slow-clients-check.sh"; } > "$script"
trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || { e2e_dump "guest console" "$CONSOLE"; e2e_dump "simulator log" "$SIM_LOG"; }; e2e_cleanup' EXIT
qrc=0; e2e_guest_run "$script" "$CONSOLE" "${QEMU_TIMEOUT:-90}" || qrc=$?
[ "$qrc" -eq 0 ] || { E2E_BAD=1; e2e_fail "qemu exited with $qrc (124 = timeout)"; }

sc_judge "$CONSOLE" "$LIMIT_MS"
for k in attach iface dhcp; do e2e_expect "$k" ok "${SC_GOT[$k]:-<missing>}"; done
e2e_expect done yes "${SC_GOT[done]:-<missing>}"
kill -0 "$E2E_SIM_PID" 2>/dev/null || e2e_no "the simulator exited"
[ $E2E_BAD -eq 0 ] || e2e_fail "slow-client checks through the kernel failed"
e2e_log PASS
