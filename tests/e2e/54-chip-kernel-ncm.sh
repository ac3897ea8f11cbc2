#!/usr/bin/env bash
# The NCM kernel check (51-kernel-ncm.sh: cdc_ncm binds, DHCP/DNS/HTTP, pings
# 64..1472 bytes and a fragmented one, BOS + MS OS 2.0 through usbfs, detach
# and attach again) against the emulated STM32F072 running an image built
# with USB_CLASS=ncm (build/firmware-ncm/stm32net.elf): the chip's own USB
# driver on the register model carries the NTBs. No chip fault may occur, and
# --pcap shows the datagrams of the NTBs as Ethernet frames.
# Layer: e2e test, host side. Needs what 51 needs plus the cross toolchain:
# it runs `make firmware USB_CLASS=ncm` (incremental) for the image.
set -euo pipefail
E2E_NAME=54-chip-kernel-ncm
root=$(cd "$(dirname "$0")/../.." && pwd)
ELF=${E2E_CHIP_NCM_ELF:-$root/build/firmware-ncm/stm32net.elf}
if [ -z "${E2E_CHIP_NCM_ELF:-}" ]; then
  make -C "$root" --no-print-directory firmware USB_CLASS=ncm >/dev/null ||
    { echo "$E2E_NAME: FAIL: make firmware USB_CLASS=ncm failed"; exit 1; }
fi
[ -f "$ELF" ] || { echo "$E2E_NAME: FAIL: no firmware image at $ELF (run: make firmware USB_CLASS=ncm)"; exit 1; }
# shellcheck disable=SC2034  # read by 50-kernel-usbip.sh
E2E_CLASS=ncm
# shellcheck disable=SC2034
E2E_SIM_ARGS="--chip $ELF"

# shellcheck disable=SC2329  # called by 50-kernel-usbip.sh
e2e_extra_checks() {
  if grep -q 'chip: FAULT' "$SIM_LOG"; then
    printf '  FAIL  %-16s %s\n' chip_fault "$(grep -m1 'chip: FAULT' "$SIM_LOG")"; return 1
  fi
  printf '  ok    %-16s %s\n' chip_fault none
  # --pcap with --chip and NCM: the datagrams of the NTBs, as Ethernet frames
  local icmp
  icmp=$(tcpdump -r "$PCAP" -nn icmp 2>/dev/null | grep -c 'ICMP echo' || true)
  if [ "$icmp" -ge 4 ]; then printf '  ok    %-16s %s\n' pcap_icmp "$icmp echo frames taken out of the NTBs"
  else printf '  FAIL  %-16s %s\n' pcap_icmp "got ${icmp:-0} ICMP echo frames in $PCAP, expected >= 4"; return 1; fi
}

# shellcheck source=50-kernel-usbip.sh
source "$(dirname "$0")/50-kernel-usbip.sh"
