#!/usr/bin/env bash
# The DFU runtime test of 56-dfu-detach.sh (same guest script, same checks)
# against the emulated STM32F072 running the flashed image itself
# (--chip build/firmware/stm32net.elf), the last part of issue 12: after
# dfu-util -e (DFU_DETACH) the firmware's own path - magic word in .noinit,
# AIRCR.SYSRESETREQ, the check early in Reset_Handler, SYSCFG MEM_MODE,
# MSP from 0x1FFFC800, jump to the address at 0x1FFFC804 - must bring the CPU
# to the stub ROM's reset code right after a system reset, with MSP and PC
# equal to the two words the model's system memory holds (sim/chip/chip.h:
# CHIP_ROM_STUB_SP, CHIP_ROM_STUB_ENTRY). The ROM's own DFU device (0483:df11)
# is not modelled: the chip stops there, the simulator unplugs and, with
# --after-detach replug, resets the chip and exports the image again.
# Layer: e2e test, host side. Needs what 56 needs plus the firmware ELF.
set -euo pipefail
E2E_NAME=58-chip-dfu-detach
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ELF=${E2E_CHIP_ELF:-$ROOT/build/firmware/stm32net.elf}
[ -f "$ELF" ] || { echo "$E2E_NAME: FAIL: no firmware image at $ELF (run: make firmware)"; exit 1; }
# shellcheck disable=SC2034  # read by 56-dfu-detach.sh
E2E_SIM_ARGS="--chip $ELF"
# shellcheck disable=SC2034
E2E_DETACH_LOG='chip: entered ROM bootloader'

# the stub ROM's two words, from the model's own header (not from the log)
hdr_word() {
  sed -n "s/^#define $1 \\(.*\\)$/\\1/p" "$ROOT/sim/chip/chip.h" |
    sed -e 's/CHIP_SYSMEM_BASE/0x1FFFC800u/' -e 's/\([0-9A-Fa-f]\)u/\1/g'
}
ROM_SP=$(printf '0x%08x' $(( $(hdr_word CHIP_ROM_STUB_SP) )))
ROM_PC=$(printf '0x%08x' $(( $(hdr_word CHIP_ROM_STUB_ENTRY) )))

# shellcheck disable=SC2329  # called by 56-dfu-detach.sh
e2e_extra_checks() {
  local rc=0 line pc msp sp_word vec_word n
  if grep -q 'chip: FAULT' "$SIM_LOG"; then
    printf '  FAIL  %-12s %s\n' chip_fault "$(grep -m1 'chip: FAULT' "$SIM_LOG")"; rc=1
  else printf '  ok    %-12s %s\n' chip_fault none; fi
  line=$(grep -m1 'chip: entered ROM bootloader' "$SIM_LOG" || true)
  [ -z "$line" ] || echo "  log   ${line#stm32net-sim: }"
  pc=$(sed -n 's/.*(PC \(0x[0-9a-f]*\), MSP.*/\1/p' <<<"$line")
  msp=$(sed -n 's/.*, MSP \(0x[0-9a-f]*\),.*/\1/p' <<<"$line")
  sp_word=$(sed -n 's/.*holds SP \(0x[0-9a-f]*\) at 0x1fffc800.*/\1/p' <<<"$line")
  vec_word=$(sed -n 's/.*reset vector \(0x[0-9a-f]*\) at 0x1fffc804.*/\1/p' <<<"$line")
  if [ -n "$sp_word" ] && [ "$sp_word" = "$ROM_SP" ] && [ "$msp" = "$sp_word" ]; then
    printf '  ok    %-12s %s\n' rom_msp "MSP $msp = word at 0x1FFFC800"
  else printf '  FAIL  %-12s MSP "%s", word at 0x1FFFC800 "%s", stub SP %s\n' rom_msp "${msp:-<none>}" "${sp_word:-<none>}" "$ROM_SP"; rc=1; fi
  if [ -n "$vec_word" ] && [ "$(printf '0x%08x' $(( vec_word & ~1 )))" = "$ROM_PC" ] && [ "$pc" = "$ROM_PC" ]; then
    printf '  ok    %-12s %s\n' rom_pc "PC $pc = word at 0x1FFFC804 ($vec_word) without the Thumb bit"
  else printf '  FAIL  %-12s PC "%s", word at 0x1FFFC804 "%s", stub entry %s\n' rom_pc "${pc:-<none>}" "${vec_word:-<none>}" "$ROM_PC"; rc=1; fi
  # the way there: a system reset (SYSRESETREQ), then a few instructions of
  # Reset_Handler's check - not the running firmware jumping by itself
  n=$(sed -n 's/.*) \([0-9]*\) instructions after a system (SYSRESETREQ) reset.*/\1/p' <<<"$line")
  if [ -n "$n" ] && [ "$n" -lt 200 ]; then
    printf '  ok    %-12s %s\n' rom_reset "$n instructions after SYSRESETREQ"
  else printf '  FAIL  %-12s %s\n' rom_reset "not right after a system reset: ${line:-<no ROM entry line>}"; rc=1; fi
  n=$(grep -c 'chip: entered ROM bootloader' "$SIM_LOG" || true)
  if [ "$n" -eq 1 ]; then printf '  ok    %-12s %s\n' rom_once "one entry (the replugged image runs on)"
  else printf '  FAIL  %-12s %s\n' rom_once "$n ROM entries, expected 1"; rc=1; fi
  return $rc
}

# shellcheck source=56-dfu-detach.sh
source "$(dirname "$0")/56-dfu-detach.sh"
