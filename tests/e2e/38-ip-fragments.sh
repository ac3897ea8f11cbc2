#!/usr/bin/env bash
# End to end in TAP mode, issue 10 "IPv4": the host's kernel fragments a
# 1500-byte ICMP echo (tap0 MTU 576: 552-byte fragments) and a 548-byte one
# (MTU 216: three fragments) and the device answers both; `ping -s 3000` is
# beyond the chip's RAM budget and must get no answer but leave nothing
# behind; a flood of 300 first fragments (tests/e2e/raw_tcp.py frags) takes no
# pool pbuf, is counted as dropped where over budget, and ping and HTTP work
# right after it; 5 s later reassembly and heap are idle again (GET /api/mem).
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, busybox, curl,
# ping (iputils or busybox), python3. Network: namespace stm32net-frag-<pid>.
set -euo pipefail
E2E_NAME=38-ip-fragments
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip busybox curl python3 stdbuf timeout
e2e_need_sim
e2e_init

e2e_tap_client stm32net-frag
mem() { e2e_api_mem; }
used() { e2e_mem_used "$@"; }
idle=$(mem)
pings() {  # SIZE COUNT -> replies received
  { nsx busybox ping -c "$2" -W 2 -s "$1" "$DEV" 2>&1 || true; } |
    sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

nsx ip link set tap0 mtu 576
got=$(pings 1472 3)
[ "$got" = 3 ] && e2e_ok "1500-byte echo in 552-byte fragments: 3/3 answered" || e2e_no "1500-byte echo in fragments: ${got:-0}/3"
nsx ip link set tap0 mtu 216
got=$(pings 520 3)
[ "$got" = 3 ] && e2e_ok "548-byte echo in 3 fragments: 3/3 answered" || e2e_no "548-byte echo in 3 fragments: ${got:-0}/3"
nsx ip link set tap0 mtu 1500
got=$(pings 3000 2)
[ "${got:-0}" = 0 ] && e2e_ok "ping -s 3000 (3028 bytes): not answered, beyond the RAM budget (README)" ||
  e2e_no "ping -s 3000 answered ${got}/2: the budget says it cannot be"

raw=$(nsx timeout 30 python3 "$E2E_ROOT/tests/e2e/raw_tcp.py" tap0 $DEV frags 300 2>&1) || e2e_no "raw_tcp.py frags failed: $raw"
m=$(mem)
[ "$(used pbuf_pool "$m")" = 0 ] && e2e_ok "after 300 fragments: no pool pbuf in use" || e2e_no "pool after the flood: $m"
got=$(pings 56 2)
[ "$got" = 2 ] && e2e_ok "ping right after the flood: 2/2" || e2e_no "ping right after the flood: ${got:-0}/2"
sleep 5   # IP_REASS_MAXAGE 3 s
m=$(mem)
h=$(used heap "$m")   # a number: an empty answer (a changed /api/mem) must not compare equal
[ "$(used reass "$m")" = 0 ] && [[ $h =~ ^[0-9]+$ ]] && [ "$h" = "$(used heap "$idle")" ] &&
  e2e_ok "reassembly and heap idle again: $m" || e2e_no "after the timeout: $m (idle: $idle)"
kill -0 "$E2E_SIM_PID" 2>/dev/null || e2e_no "the simulator exited"
[ $E2E_BAD -eq 0 ] || e2e_fail "IPv4 fragment checks failed"
e2e_log PASS
