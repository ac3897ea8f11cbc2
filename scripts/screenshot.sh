#!/usr/bin/env bash
# Saves a screenshot of the device's web page as a browser renders it:
#   scripts/screenshot.sh OUT.png [WIDTH,HEIGHT]      (default 1024,768)
# Runs the simulator in TAP mode inside a throw-away network namespace and
# headless Chromium in the same namespace (see tests/e2e/40-browser.sh).
# Needs root, build/stm32net-sim (make sim) and chromium. Exit 2 on bad usage.
set -euo pipefail
E2E_NAME=screenshot
source "$(dirname "$0")/../tests/e2e/lib.sh"

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUT.png [WIDTH,HEIGHT]" >&2; exit 2; }
out=$1
size=${2:-1024,768}
[[ "$size" =~ ^[0-9]{2,4},[0-9]{2,4}$ ]] || { echo "screenshot: bad size '$size' (want W,H)" >&2; exit 2; }
case "$out" in *.png) ;; *) echo "screenshot: OUT must end in .png" >&2; exit 2 ;; esac
outdir=$(dirname -- "$out")
[ -d "$outdir" ] || { echo "screenshot: no directory $outdir" >&2; exit 2; }
out=$(cd "$outdir" && pwd)/$(basename -- "$out")

e2e_need_root
e2e_need ip stdbuf timeout
e2e_need_sim
CHROMIUM=$(e2e_find_chromium)
e2e_init

NS=stm32net-shot-$$
SIM_LOG=$E2E_TMP/sim.log
e2e_netns_add "$NS"
trap 'rc=$?; [ $rc -eq 0 ] || { e2e_dump "simulator log" "$SIM_LOG"; e2e_dump "chromium stderr" "$E2E_TMP/chromium.err"; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
ip netns exec "$NS" ip addr add 192.168.7.2/24 dev tap0

mapfile -t flags < <(e2e_chromium_flags "$E2E_TMP/profile")
rm -f "$out"
crc=0
HOME=$E2E_TMP ip netns exec "$NS" timeout -k 5 60 "$CHROMIUM" "${flags[@]}" \
  --hide-scrollbars --window-size="$size" --virtual-time-budget=5000 \
  --screenshot="$out" http://192.168.7.1/ >"$E2E_TMP/chromium.out" 2>"$E2E_TMP/chromium.err" || crc=$?
[ "$crc" -eq 0 ] && [ -s "$out" ] || e2e_fail "chromium did not write $out (status $crc)"
e2e_log "wrote $out ($size)"
