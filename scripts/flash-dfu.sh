#!/bin/sh
# make flash (PROGRAMMER=dfu): one command from running firmware to new
# firmware over the same USB cable.
#   scripts/flash-dfu.sh IMAGE.bin
# 1. If ST's ROM bootloader (0483:df11) is already there, use it.
# 2. Otherwise ask our running firmware's DFU runtime interface (VID:PID
#    $STM32NET_ID, default 1209:0001) to detach (`dfu-util -e`); it enters the
#    ROM bootloader, which we wait for (STM32NET_DFU_WAIT seconds, default 10).
# 3. DfuSe download to 0x08000000 and leave (the new firmware starts).
# Exactly one device must be found at each step; otherwise a clear message and
# exit status 2 (no device, several devices, the ROM never appeared).
# Layer: host tool, POSIX sh (the QEMU guest's busybox runs it too, in
# tests/e2e/56-dfu-detach.sh). Needs dfu-util (Debian package dfu-util).
set -eu

img=${1:-}
app_id=${STM32NET_ID:-1209:0001}
rom_id=0483:df11
wait_s=${STM32NET_DFU_WAIT:-10}

die() { echo "flash-dfu: $*" >&2; exit 2; }
[ -n "$img" ] && [ -f "$img" ] || die "usage: flash-dfu.sh IMAGE.bin (no such file: '${img}')"
case $wait_s in
  ''|*[!0-9]*) die "STM32NET_DFU_WAIT must be a number of seconds" ;;
esac
command -v dfu-util >/dev/null || die "needs dfu-util (apt-get install dfu-util)"

# count ID KIND: how many devices dfu-util lists as "Found KIND: [ID]" (one
# line per DFU interface/alt setting, so count distinct paths)
count() {
  { dfu-util -l 2>/dev/null || true; } | { grep "Found $2: \[$1\]" || true; } |
    sed -n 's/.*path="\([^"]*\)".*/\1/p' | sort -u | wc -l
}

rom=$(count "$rom_id" DFU)
if [ "$rom" -gt 1 ]; then die "$rom devices in the ROM bootloader ($rom_id): leave only one plugged in"; fi
if [ "$rom" -eq 0 ]; then
  app=$(count "$app_id" Runtime)
  if [ "$app" -eq 0 ]; then
    die "no device found: neither stm32net ($app_id, DFU runtime) nor the ROM bootloader ($rom_id); plug the board in (or hold BOOT0 while resetting it)"
  fi
  if [ "$app" -gt 1 ]; then die "$app stm32net devices ($app_id) found: leave only one plugged in"; fi
  echo "flash-dfu: detaching $app_id into the ROM bootloader"
  dfu-util -e -d "$app_id" || die "dfu-util -e (detach) failed"
  for _ in $(seq 1 $(( wait_s * 2 ))); do
    rom=$(count "$rom_id" DFU)
    [ "$rom" -eq 0 ] || break
    sleep 0.5
  done
  if [ "$rom" -eq 0 ]; then die "the ROM bootloader ($rom_id) did not appear within ${wait_s} s after the detach"; fi
  if [ "$rom" -gt 1 ]; then die "$rom devices in the ROM bootloader ($rom_id): leave only one plugged in"; fi
fi
echo "flash-dfu: writing $img to 0x08000000 through $rom_id"
exec dfu-util -d "$rom_id" -a 0 -s 0x08000000:leave -D "$img"
