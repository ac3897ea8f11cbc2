#!/bin/sh
# Guest side of tests/e2e/56-dfu-detach.sh: runs as /test.sh in the QEMU guest.
# Attaches the simulator, waits for cdc_ether, then drives the DFU runtime
# interface with Debian's dfu-util: -l must list it; make flash's script
# (flash-dfu) detaches it with dfu-util -e, and the device must leave the bus
# (the simulator unplugs, as the chip would before its ROM bootloader
# enumerates); with no ROM coming up the script fails clearly (exit 2). The
# simulator runs with --after-detach replug: the device comes back, is
# attached again and cdc_ether binds again.
# Layer: test, guest side. The host prepends PORT= and BUSID=. Output: one
# "RESULT <key> <value>" line per check; the rest is evidence.
# Limits: every wait is bounded; traffic only to 10.0.2.2.
GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "RESULT abort no-$GUEST_LIB"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}"
R() { echo "RESULT $1 ${2:--}"; }

out=$(guest_usbip_attach); rc=$?
echo "$out"
R attach "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
ifn=$(guest_wait_ecm_if 0.1)
R iface "$([ -n "$ifn" ] && echo cdc_ether || echo none)"

echo "GUEST dfu-util -l"
out=$(timeout 20 dfu-util -l 2>&1); echo "$out"
line=$(echo "$out" | grep 'Found Runtime: \[1209:0001\]' | head -n1)
R dfu_list "$([ -n "$line" ] && echo runtime || echo missing)"
R dfu_intf "$(echo "$line" | sed -n 's/.*intf=\([0-9]*\).*/\1/p')"
R dfu_name "$(echo "$line" | sed -n 's/.*name="\([^"]*\)".*/\1/p' | tr ' ' '_')"

# make flash's one-command path (scripts/flash-dfu.sh, packed as flash-dfu):
# it finds the runtime interface and runs dfu-util -e; the simulator has no
# ROM bootloader to come up, so the script must then say so (exit 2)
echo "GUEST flash-dfu /tmp/fw.bin"
head -c 1024 /dev/zero > /tmp/fw.bin
out=$(STM32NET_DFU_WAIT=3 timeout 40 flash-dfu /tmp/fw.bin 2>&1); rc=$?
echo "$out"
R dfu_detach "$(echo "$out" | grep -q '^flash-dfu: detaching 1209:0001' &&
  ! echo "$out" | grep -q 'detach) failed' && echo ok || echo failed)"
R flash_no_rom "$([ $rc -eq 2 ] && echo "$out" | grep -q 'did not appear' && echo "exit2" || echo "rc:$rc")"
i=0
while [ $i -lt 100 ] && guest_usb_dev >/dev/null; do i=$((i + 1)); sleep 0.1; done
R dev_gone "$(guest_usb_dev >/dev/null && echo no || echo yes)"
R iface_gone "$([ -n "$ifn" ] && [ -e "/sys/class/net/$ifn" ] && echo no || echo yes)"
out=$(timeout 20 flash-dfu /tmp/fw.bin 2>&1); rc=$?
echo "$out"
R flash_no_device "$([ $rc -eq 2 ] && echo "$out" | grep -q 'no device found' && echo "exit2" || echo "rc:$rc")"
# the simulator runs with --after-detach replug: a second later the
# application is back, to be attached again, and cdc_ether binds again
sleep 2
out=$(guest_usbip_attach); rc=$?
echo "$out"
R attach2 "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
ifn2=$(guest_wait_ecm_if 0.1)
R iface2 "$([ -n "$ifn2" ] && echo cdc_ether || echo none)"
out=$(timeout 20 dfu-util -l 2>&1)
R dfu_list2 "$(echo "$out" | grep -q 'Found Runtime: \[1209:0001\]' && echo runtime || echo missing)"
R "done" yes
dmesg | tail -n 15
