#!/usr/bin/env bash
# The real-kernel test of 50-kernel-usbip.sh (same guest script, same checks)
# against the emulated STM32F072 running the flashed image itself:
# build/stm32net-sim --chip build/firmware/stm32net.elf. On top of 50's checks:
# the LED the guest switches on with POST /api/led is seen in GPIOC's ODR (the
# chip's own register, logged by the simulator), a press of the user button
# injected through GPIOA's IDR (SIGUSR1) shows in /api/status, and the run
# has no chip fault (a fault or unmapped access ends the simulator with a
# report, which this test prints) and no watchdog reset; --pcap records the pings' frames.
# Layer: e2e test, host side. Needs what 50 needs plus the firmware ELF
# (make firmware; make test builds it in `make size` before the e2e tests).
set -euo pipefail
E2E_NAME=52-chip-kernel
ELF=${E2E_CHIP_ELF:-$(cd "$(dirname "$0")/../.." && pwd)/build/firmware/stm32net.elf}
[ -f "$ELF" ] || { echo "$E2E_NAME: FAIL: no firmware image at $ELF (run: make firmware)"; exit 1; }
# shellcheck disable=SC2034  # both read by 50-kernel-usbip.sh
E2E_SIM_ARGS="--chip $ELF"
# shellcheck disable=SC2034
E2E_BUTTON=1

# shellcheck disable=SC2329  # called by 50-kernel-usbip.sh
e2e_extra_checks() {
  local rc=0 odr
  if grep -q 'chip: FAULT' "$SIM_LOG"; then
    printf '  FAIL  %-16s %s\n' chip_fault "$(grep -m1 'chip: FAULT' "$SIM_LOG")"; rc=1
  else
    printf '  ok    %-16s %s\n' chip_fault none
  fi
  # the watchdog runs (on by default) and the main loop feeds it: no reset
  if grep -q 'chip: IWDG reset' "$SIM_LOG"; then
    printf '  FAIL  %-16s %s\n' iwdg "$(grep -c 'chip: IWDG reset' "$SIM_LOG") watchdog reset(s) logged"; rc=1
  else
    printf '  ok    %-16s %s\n' iwdg "fed, no reset"
  fi
  # POST n=1 switched LED 1 = PC7 on: GPIOC ODR bit 7, nothing else (UM1690)
  odr=$(sed -n 's/^stm32net-sim: chip: GPIOC ODR \(0x[0-9a-f]*\) .*/\1/p' "$SIM_LOG" | tail -n1)
  if [ "$odr" = 0x0080 ]; then printf '  ok    %-16s %s\n' gpioc_odr "$odr"
  else printf '  FAIL  %-16s got "%s", expected "0x0080"\n' gpioc_odr "${odr:-<none>}"; rc=1; fi
  if grep -q '^stm32net-sim: chip: button pressed' "$SIM_LOG"; then
    printf '  ok    %-16s %s\n' button_pa0 injected
  else printf '  FAIL  %-16s %s\n' button_pa0 "no press logged"; rc=1; fi
  # --pcap with --chip: the Ethernet frames cut from the chip's bulk packets
  local icmp
  icmp=$(tcpdump -r "$PCAP" -nn icmp 2>/dev/null | grep -c 'ICMP echo' || true)
  if [ "$icmp" -ge 4 ]; then printf '  ok    %-16s %s\n' pcap_icmp "$icmp echo frames"
  else printf '  FAIL  %-16s %s\n' pcap_icmp "got ${icmp:-0} ICMP echo frames in $PCAP, expected >= 4"; rc=1; fi
  return $rc
}

# shellcheck source=50-kernel-usbip.sh
source "$(dirname "$0")/50-kernel-usbip.sh"
