#!/usr/bin/env bash
# size-report.sh - flash/RAM budget of the STM32F072 image (make size).
#
# Usage: scripts/size-report.sh build/firmware/stm32net.elf
# Prints flash used, static RAM (.data + .bss + .noinit), the stack reserve,
# free RAM and the largest symbols, next to the project's targets and the
# stm32ecm reference. Exit status 1 when the image cannot work on the chip:
# static RAM + stack > 16 KB, flash > 128 KB, malloc/free/printf-family
# symbols present, vector table not at 0x08000000, or Reset_Handler /
# USB_IRQHandler missing or left as the default handler. Exit 2: bad usage.
# Uses binutils only (arm-none-eabi-{readelf,nm,objcopy}; CROSS_PREFIX
# overrides the prefix).
set -euo pipefail

ELF=${1:-}
if [ -z "$ELF" ] || [ ! -f "$ELF" ]; then
  echo "usage: $0 FILE.elf (file missing: '${ELF}')" >&2
  exit 2
fi
P=${CROSS_PREFIX:-arm-none-eabi-}
for t in readelf nm objcopy; do
  command -v "${P}$t" >/dev/null || { echo "size: ${P}$t not found (make deps)" >&2; exit 2; }
done

FLASH_BASE=$((0x08000000)); FLASH_LEN=$((128 * 1024))
RAM_BASE=$((0x20000000));   RAM_LEN=$((16 * 1024))
T_FLASH=$((64 * 1024)); T_RAM=$((12 * 1024)); T_STACK=2048

# Flash: every loadable segment whose load (physical) address is in flash.
flash=0
while read -r _ _ _ paddr filesz _; do
  pa=$((paddr)); fs=$((filesz))
  if [ "$pa" -ge "$FLASH_BASE" ] && [ "$pa" -lt $((FLASH_BASE + FLASH_LEN)) ]; then
    flash=$((flash + fs))
  fi
done < <("${P}readelf" -lW "$ELF" | awk '$1 == "LOAD"')

# "name addr size" (hex) of every section header
sections() {
  "${P}readelf" -SW "$ELF" | grep -E '^ *\[ *[0-9]+\] +\.' | sed -E 's/^ *\[ *[0-9]+\] +//' |
    awk '{ print $1, $3, $5 }'
}

# RAM: allocated sections placed in RAM; .stack counted separately.
stack=0; ram=0
while read -r name addr size; do
  a=$((16#$addr)); s=$((16#$size))
  if [ "$a" -ge "$RAM_BASE" ] && [ "$a" -lt $((RAM_BASE + RAM_LEN)) ]; then
    if [ "$name" = ".stack" ]; then stack=$((stack + s)); else ram=$((ram + s)); fi
  fi
done < <(sections)

free=$((RAM_LEN - ram - stack))
kb() { awk -v b="$1" 'BEGIN { printf "%6.1f KB", b / 1024 }'; }
mark() { if [ "$1" -le "$2" ]; then echo "ok"; else echo "OVER target"; fi; }

echo "== STM32F072 image: $ELF"
printf "%-22s %8s B  %s   limit %s   target %s  %s\n" "flash used" "$flash" "$(kb "$flash")" "128 KB" "<= 64 KB" "$(mark "$flash" "$T_FLASH")"
printf "%-22s %8s B  %s   limit %s   target %s  %s\n" "static RAM (data+bss)" "$ram" "$(kb "$ram")" " 16 KB" "<= 12 KB" "$(mark "$ram" "$T_RAM")"
printf "%-22s %8s B  %s   %14s target %s  %s\n" "stack reserve" "$stack" "$(kb "$stack")" "" ">= 2 KB" "$(mark "$T_STACK" "$stack")"
printf "%-22s %8s B  %s\n" "free RAM" "$free" "$(kb "$free")"
echo "reference stm32ecm: 82.6 KB flash, 15.2 KB RAM (TinyUSB net example at defaults: 18.6 KB RAM)"

NM=$("${P}nm" --size-sort -S "$ELF")
biggest() {  # $1 = nm type letters
  echo "$NM" | awk -v t="$1" 'NF >= 4 && index(t, $3) { print $2, $4 }' |
    while read -r sz name; do printf "%8d  %s\n" $((16#$sz)) "$name"; done | sort -rn | awk 'NR <= 12'  # awk reads all: no SIGPIPE under pipefail
}
echo "-- biggest RAM users (bytes)"
biggest bBdD
echo "-- biggest flash users (bytes)"
biggest tTrR

# lwIP's iperf server (make IPERF=0 leaves it out): its own symbols. Not in
# these figures: one more tcp_pcb_listen in memp_memory_TCP_PCB_LISTEN (28 B
# on the M0) and code LTO inlined elsewhere (the start-up call in net_init).
symsum() {  # $1 = nm type letters, $2 = name regex: total size in bytes
  local t=0 sz
  while read -r sz; do t=$((t + 16#$sz)); done < <(echo "$NM" | awk -v t="$1" -v r="$2" 'NF >= 4 && index(t, $3) && $4 ~ r { print $2 }')
  echo "$t"
}
ip_flash=$(symsum tTrR '^l?w?iperf_')
ip_ram=$(symsum bBdD '^l?w?iperf_')
if [ "$ip_flash" -gt 0 ]; then
  echo "iperf server (lwiperf, port 5001): ${ip_flash} B flash, ${ip_ram} B static RAM + one listening pcb;" \
       "a session borrows a TCP pcb and ~2 x 60 B of lwIP's heap"
else
  echo "iperf server: not built (IPERF=0)"
fi

fail=0
err() { echo "size: FAIL: $*" >&2; fail=1; }

[ $((ram + stack)) -le "$RAM_LEN" ] || err "static RAM + stack = $((ram + stack)) B > 16 KB"
[ "$flash" -le "$FLASH_LEN" ] || err "flash $flash B > 128 KB"

ALL=$("${P}nm" "$ELF")
bad=$(awk '{ print $NF }' <<<"$ALL" | grep -E '^_*v?(s|sn|as|f)?v?i?printf(_r)?$|^_*s?v?f?i?printf_r$|^_printf_|^_*(puts|putchar|malloc|calloc|realloc|free|sbrk)(_r)?$|^_*(malloc|free|calloc|realloc)_r$' | sort -u | tr '\n' ' ' || true)
[ -z "$bad" ] || err "forbidden symbols in the image: $bad"

# Vector table: at 0x08000000; entry 1 = Reset_Handler, entry 16+31 = USB.
vaddr=$(sections | awk '$1 == ".isr_vector" { print $2 }')
if [ -z "$vaddr" ] || [ $((16#$vaddr)) -ne "$FLASH_BASE" ]; then
  err "no .isr_vector at 0x08000000 (found '${vaddr}')"
else
  tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
  "${P}objcopy" -O binary -j .isr_vector "$ELF" "$tmp"
  vec() { od -A n -t x4 -j $(($1 * 4)) -N 4 "$tmp" | tr -d ' '; }
  sym() { awk -v n="$1" '$NF == n && $2 ~ /^[tT]$/ { print $1; exit }' <<<"$ALL"; }
  reset=$(sym Reset_Handler); usb=$(sym USB_IRQHandler); dflt=$(sym Default_Handler)
  v1=$(vec 1); v47=$(vec 47)
  if [ -z "$reset" ] || [ $((16#$v1 & ~1)) -ne $((16#$reset)) ]; then
    err "vector 1 (0x$v1) is not Reset_Handler (${reset:-missing})"
  fi
  if [ -z "$usb" ] || [ $((16#$v47 & ~1)) -ne $((16#$usb)) ]; then
    err "vector 47 / IRQ 31 (0x$v47) is not USB_IRQHandler (${usb:-missing})"
  fi
  if [ -z "$usb" ] || [ "$usb" = "$dflt" ]; then err "USB_IRQHandler is the default handler"; fi
  if [ -z "$reset" ] || [ "$reset" = "$dflt" ]; then err "Reset_Handler is the default handler"; fi
  [ $((16#$v1 & 1)) -eq 1 ] || err "reset vector without the Thumb bit"
  echo "vector table at 0x08000000: Reset_Handler 0x$reset, USB_IRQHandler 0x$usb (default 0x${dflt:-none})"
fi

if [ "$fail" -ne 0 ]; then
  echo "size: the image does not fit the STM32F072 or breaks a rule (see above)" >&2
  exit 1
fi
echo "size: ok"
