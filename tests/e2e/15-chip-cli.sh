#!/usr/bin/env bash
# --chip on the command line: a missing or non-ELF image and --chip with
# --tap are command-line errors (exit 2, one message); an image that faults
# ends the simulator with the chip's report (PC, LR, xPSR, faulting address,
# registers) and exit status 3. The faulting image is built here with the
# cross toolchain: a vector table whose reset handler reads unmapped memory
# with its second instruction (at 0x0800000a: the report names that exact PC).
# Layer: e2e test (host only, no network).
set -euo pipefail
# shellcheck disable=SC2034  # read by lib.sh
E2E_NAME=15-chip-cli
source "$(dirname "$0")/lib.sh"
e2e_need arm-none-eabi-gcc timeout
e2e_need_sim
e2e_init

expect_rc() {  # WANT TEXT ARGS...: exit status WANT and TEXT on stderr
  local want=$1 text=$2 rc=0; shift 2
  timeout 10 "$E2E_SIM" "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
  [ "$rc" -eq "$want" ] || { e2e_dump stderr "$E2E_TMP/err"; e2e_fail "$* : exit $rc, expected $want"; }
  grep -q -- "$text" "$E2E_TMP/err" || { e2e_dump stderr "$E2E_TMP/err"; e2e_fail "$* : no '$text'"; }
  e2e_log "ok: $* -> $rc ($(grep -m1 -- "$text" "$E2E_TMP/err"))"
}

expect_rc 2 "cannot open" --chip "$E2E_TMP/missing.elf" --listen 127.0.0.1:0
printf 'not an elf' > "$E2E_TMP/junk.elf"
expect_rc 2 "not a 32-bit little-endian ELF" --chip "$E2E_TMP/junk.elf" --listen 127.0.0.1:0
expect_rc 2 "only its USB link" --chip "$E2E_TMP/junk.elf" --tap tap0

cat > "$E2E_TMP/fault.S" <<'ASM'
        .syntax unified
        .cpu cortex-m0
        .thumb
        .text
        .word 0x20001000
        .word reset
        .thumb_func
reset:  ldr r0, =0x30000000
        ldr r1, [r0]
1:      b 1b
        .ltorg
ASM
arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -nostartfiles -Wl,-Ttext=0x08000000 \
  -Wl,-e,0x08000000 -Wl,--no-warn-rwx-segments -o "$E2E_TMP/fault.elf" "$E2E_TMP/fault.S"
expect_rc 3 "chip: FAULT: read of unmapped memory" --chip "$E2E_TMP/fault.elf" --listen 127.0.0.1:0
for field in "PC 0x0800000a" "faulting address 0x30000000" "xPSR 0x" " r0  0x30000000"; do
  grep -q -- "$field" "$E2E_TMP/err" || { e2e_dump stderr "$E2E_TMP/err"; e2e_fail "report lacks '$field'"; }
done
e2e_log "PASS"
