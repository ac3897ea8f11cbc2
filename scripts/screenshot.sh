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

e2e_browser_ns stm32net-shot

rm -f "$out"
e2e_chromium "$E2E_TMP/chromium.out" --hide-scrollbars --window-size="$size" \
  --virtual-time-budget=5000 --screenshot="$out" http://192.168.7.1/
[ "$E2E_CHROMIUM_RC" -eq 0 ] && [ -s "$out" ] || e2e_fail "chromium did not write $out (status $E2E_CHROMIUM_RC)"
e2e_log "wrote $out ($size)"
