#!/bin/sh
# Guest side of tests/e2e/53-kernel-mdns.sh: runs as /test.sh inside the QEMU
# guest and asks for stm32net.local over mDNS (RFC 6762) through the real
# Linux stack: a query to 224.0.0.251 leaves through cdc_ether, vhci_hcd and
# the simulated USB device, and the answer comes back the same way.
# Layer: test, guest side. The host prepends PORT=, BUSID= and the lines that
# unpack the static querier to $MDNSQ (tests/e2e/mdnsq.c; busybox has no tool
# that can receive the answer to a multicast query).
# Output contract: "RESULT <key> <value>" lines, as usbip-check.sh; values
# with spaces are joined with '_'.
# Limits: every wait is bounded. Traffic goes only to 10.0.2.2 (the host's
# loopback via QEMU) and the USB link (192.168.7.x, 224.0.0.251).

GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "RESULT abort no-$GUEST_LIB"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}" "${MDNSQ:?}"
LEASE=/tmp/lease.txt

R() { echo "RESULT $1 $(echo "${2:--}" | tr ' ' '_')"; }

guest_udhcpc_script "$LEASE"
guest_usbip_list >/dev/null || true
out=$(guest_usbip_attach); rc=$?
echo "$out"
R attach "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
ifn=$(guest_wait_ecm_if 0.1)
R iface "${ifn:+cdc_ether}"
[ -n "$ifn" ] || { dmesg | tail -n 30; R abort no-interface; exit 1; }
guest_dhcp "$ifn"; rc=$?
ip=$(guest_lease_get "$LEASE" ip)
R dhcp "$([ $rc -eq 0 ] && echo "$ip" || echo "fail:$rc")"
# 224.0.0.0/4 would follow the default route out of the e1000 (QEMU's
# network): mDNS belongs on the USB link (RFC 6762 5: link-local scope).
ip route add 224.0.0.0/4 dev "$ifn"

# The device probes (about 0.75 s) and announces after its link came up;
# the querier retries once a second, up to 5 times.
R mdns_legacy "$("$MDNSQ" legacy stm32net.local "$ip" 5)"
sleep 1.1   # one multicast per record per second (RFC 6762 6)
R mdns_multicast "$("$MDNSQ" multicast stm32net.local "$ip" 5)"
R mdns_other "$("$MDNSQ" legacy nothere.local "$ip" 2)"
R done yes
