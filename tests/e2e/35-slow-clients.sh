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
bad=0
trap 'rc=$?; [ $rc -eq 0 ] && [ $bad -eq 0 ] || { e2e_dump "scenario" "$OUT"; e2e_dump "simulator log" "$SIM_LOG"; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
e2e_udhcpc_script "$E2E_TMP/udhcpc.sh"
nsx timeout 30 busybox udhcpc -i tap0 -s "$E2E_TMP/udhcpc.sh" -n -q -t 5 -T 2 -f >/dev/null 2>&1 ||
  e2e_fail "udhcpc got no lease"

# busybox's own applets first in PATH: the scenario is written for them
BB=$E2E_TMP/bb; mkdir -p "$BB"
for a in nc ping nslookup udhcpc wget timeout sleep sed head tr grep; do ln -sf "$(command -v busybox)" "$BB/$a"; done
nsx env PATH="$BB:$PATH" timeout 60 busybox sh -c \
  ". '$E2E_ROOT/scripts/guest/slow-clients.sh'; sc_run $DEV tap0" >"$OUT" 2>&1 || true

declare -A got=()
while read -r _ k v; do got[$k]=$v; done < <(grep -a '^RESULT ' "$OUT")
ok() { printf '  ok    %s\n' "$*"; }
no() { printf '  FAIL  %s\n' "$*"; bad=1; }
within() {  # key: a number <= LIMIT_MS
  local v=${got[$1]:-<missing>}
  if [[ "$v" =~ ^[0-9]+$ ]] && [ "$v" -le "$LIMIT_MS" ]; then ok "$1 $v ms (<= $LIMIT_MS)"
  else no "$1: got \"$v\", expected <= $LIMIT_MS ms"; fi
}
is() { [ "${got[$1]:-<missing>}" = "$2" ] && ok "$1 $2" || no "$1: got \"${got[$1]:-<missing>}\", expected \"$2\""; }

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
kill -0 "$E2E_SIM_PID" 2>/dev/null || no "the simulator exited"
[ $bad -eq 0 ] || e2e_fail "slow-client checks failed"
e2e_log PASS
