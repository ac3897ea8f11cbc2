#!/bin/sh
# Guest side of tests/e2e/55-kernel-slow-clients.sh: runs as /test.sh in the
# QEMU guest after the host prepended PORT=/BUSID= lines and
# scripts/guest/slow-clients.sh. Attaches the simulator through vhci_hcd,
# takes a lease over cdc_ether, then runs the issue-10 slow-client scenario
# (sc_run) through the real kernel's TCP/IP.
# Layer: test, guest side (busybox ash, Debian's usbip). Output: RESULT lines.
# Limits: every wait is bounded (guest-lib.sh helpers, timeout).
GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "RESULT abort no-$GUEST_LIB"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}"

echo 'hosts: files dns' > /etc/nsswitch.conf
: > /etc/hosts
guest_udhcpc_script /tmp/lease.txt
out=$(guest_usbip_attach); rc=$?
echo "$out"
echo "RESULT attach $([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
ifn=$(guest_wait_ecm_if 0.1)
echo "RESULT iface ${ifn:+ok}"
[ -n "$ifn" ] || exit 1
guest_dhcp "$ifn"; rc=$?
echo "RESULT dhcp $([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
[ $rc -eq 0 ] || exit 1
sc_run "$GUEST_DEV" "$ifn"
echo "RESULT done yes"
