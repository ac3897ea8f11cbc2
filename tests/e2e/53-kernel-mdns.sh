#!/usr/bin/env bash
# End to end through a real Linux kernel: the QEMU guest attaches the
# simulated device over USB/IP (vhci_hcd, cdc_ether), takes a DHCP lease and
# resolves stm32net.local over mDNS: a legacy query and a multicast query to
# 224.0.0.251 from the guest's kernel, answered by the device's responder;
# a name that is not the device's gets no answer.
# Layer: e2e test, host side; the guest side is scripts/guest/mdns-check.sh,
# the querier tests/e2e/mdnsq.c (built static here, unpacked in the guest).
# Needs: build/stm32net-sim, gcc with a static libc (libc6-dev), base64,
# qemu-system-x86_64, the cached guest image.
# Network: the simulator listens on 127.0.0.1 only; 192.168.7.x and the
# multicast group exist only between the guest kernel and the simulator.
set -euo pipefail
E2E_NAME=53-kernel-mdns
source "$(dirname "$0")/lib.sh"

e2e_guest_test_init gcc base64
PCAP=$E2E_TMP/usb-link.pcap
gcc -std=c11 -Wall -Wextra -Werror -static -Os -s -o "$E2E_TMP/mdnsq" "$E2E_ROOT/tests/e2e/mdnsq.c" ||
  e2e_fail "cannot build the static querier (needs gcc and libc6-dev's libc.a)"

# E2E_SIM_ARGS="--chip build/firmware/stm32net.elf": the same on the emulated chip
# shellcheck disable=SC2086  # E2E_SIM_ARGS: words, no spaces in them
e2e_usbip_sim "$SIM_LOG" --pcap "$PCAP" ${E2E_SIM_ARGS:-}
port=$E2E_PORT busid=$E2E_BUSID

script=$E2E_TMP/test.sh
{ echo "PORT=$port"; echo "BUSID=$busid"; echo "MDNSQ=/tmp/mdnsq"
  echo "base64 -d >/tmp/mdnsq <<'MDNSQ_B64'"; base64 "$E2E_TMP/mdnsq"; echo "MDNSQ_B64"
  echo "chmod +x /tmp/mdnsq"
  cat "$E2E_ROOT/scripts/guest/mdns-check.sh"; } > "$script"

failed=0
report_fail() {
  e2e_stop_pid "$E2E_SIM_PID" 3
  e2e_dump "guest console" "$CONSOLE"
  e2e_dump "simulator log" "$SIM_LOG"
  if [ -s "$PCAP" ] && command -v tcpdump >/dev/null 2>&1; then
    echo "----- pcap of the USB link -----"; tcpdump -r "$PCAP" -nn 2>&1 | head -n 60
  fi
}
trap 'rc=$?; [ $rc -eq 0 ] || [ $failed -eq 1 ] || report_fail; e2e_cleanup' EXIT

e2e_log "booting the guest, simulator on 127.0.0.1:$port"
qrc=0; e2e_guest_run "$script" "$CONSOLE" "${QEMU_TIMEOUT:-90}" || qrc=$?
[ "$qrc" -eq 0 ] || { failed=1; report_fail; e2e_fail "qemu exited with $qrc (124 = timeout)"; }

declare -A got=()
while read -r _ k v; do got[$k]=$v; done < <(tr -d '\r' < "$CONSOLE" | grep -a '^RESULT ')
bad=0
check() {  # key expected
  if [ "${got[$1]:-<missing>}" = "$2" ]; then printf '  ok    %-15s %s\n' "$1" "$2"
  else printf '  FAIL  %-15s got "%s", expected "%s"\n' "$1" "${got[$1]:-<missing>}" "$2"; bad=1; fi
}
check attach ok
check iface cdc_ether
check dhcp 192.168.7.2
# RFC 6762 6.7: unicast from the responder, the query's id, TTL <= 10, no cache-flush
check mdns_legacy "ANSWER_from=192.168.7.1:5353_id=0x2b1d_qd=1_an=1_class=0x1_ttl=10_a=192.168.7.1"
# RFC 6762 6, 10.2: on the group, id 0, no question, cache-flush, TTL 120
check mdns_multicast "ANSWER_from=192.168.7.1:5353_id=0x0_qd=0_an=1_class=0x8001_ttl=120_a=192.168.7.1"
check mdns_other NOANSWER
check done yes
[ $bad -eq 0 ] || { failed=1; report_fail; e2e_fail "guest checks failed"; }
e2e_log PASS
