#!/usr/bin/env bash
# End to end in TAP mode, issue 10: with 8 TCP connections each holding half an
# HTTP request, ping, a DNS query, a DHCP DISCOVER and a complete
# GET /api/status from another socket are each answered within 200 ms, and
# after the stalled clients are gone GET /api/mem shows the pools and heap at
# their idle levels again. The scenario itself is scripts/guest/slow-clients.sh
# (busybox applets), the same one the real-kernel test runs in the guest.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, busybox.
# Network: everything inside namespace stm32net-slow-<pid>, deleted on exit.
set -euo pipefail
E2E_NAME=35-slow-clients
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/slow-clients-judge.sh"

e2e_need_root
e2e_need ip busybox stdbuf timeout
e2e_need_sim
e2e_init

NS=stm32net-slow-$$
SIM_LOG=$E2E_TMP/sim.log
OUT=$E2E_TMP/scenario.log
DEV=192.168.7.1
LIMIT_MS=${SLOW_LIMIT_MS:-200}
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }
trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || { e2e_dump "scenario" "$OUT"; e2e_dump "simulator log" "$SIM_LOG"; }; e2e_cleanup' EXIT

e2e_tap_lease "$NS" "$SIM_LOG"

# busybox's own applets first in PATH: the scenario is written for them
BB=$E2E_TMP/bb; mkdir -p "$BB"
for a in nc ping nslookup udhcpc wget timeout sleep sed head tr grep; do ln -sf "$(command -v busybox)" "$BB/$a"; done
nsx env PATH="$BB:$PATH" timeout 60 busybox sh -c \
  ". '$E2E_ROOT/scripts/guest/slow-clients.sh'; sc_run $DEV tap0" >"$OUT" 2>&1 || true

sc_judge "$OUT" "$LIMIT_MS"
kill -0 "$E2E_SIM_PID" 2>/dev/null || e2e_no "the simulator exited"
[ $E2E_BAD -eq 0 ] || e2e_fail "slow-client checks failed"
e2e_log PASS
