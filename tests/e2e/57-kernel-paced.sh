#!/usr/bin/env bash
# The real-kernel test of 50-kernel-usbip.sh (same guest script, same checks)
# with the bridge pacing USB like a full-speed bus (--pace fs: 1 ms frames,
# at most 19 bulk packets of 64 bytes per frame for both directions, control
# first, the notification endpoint polled at its bInterval). It proves that
# Linux's usbnet/cdc_ether work unchanged over the paced schedule (enumeration
# with control transfers sharing frames with bulk, the interrupt endpoint's
# NetworkConnection notification at its period, DHCP, DNS, HTTP, ping,
# detach and attach again). No timing is asserted: the rate is a benchmark
# figure (README), not a test.
# Layer: e2e test, host side. Needs what 50 needs.
set -euo pipefail
E2E_NAME=57-kernel-paced
# shellcheck disable=SC2034  # read by 50-kernel-usbip.sh
E2E_SIM_ARGS="--pace fs"

# shellcheck disable=SC2329  # called by 50-kernel-usbip.sh
e2e_extra_checks() {
  if grep -q '^stm32net-sim: --pace fs: ' "$SIM_LOG"; then
    printf '  ok    %-16s %s\n' pace "full-speed schedule on"
  else
    printf '  FAIL  %-16s %s\n' pace "the simulator did not report --pace fs"; return 1
  fi
}

# shellcheck source=50-kernel-usbip.sh
source "$(dirname "$0")/50-kernel-usbip.sh"
