#!/usr/bin/env bash
# Benchmark (make bench): prints measured numbers for the simulator, it does
# not pass or fail and is not part of make test.
#   scripts/bench.sh [tap|usb|chip-usb|reference|all]      (default all)
# tap: the simulator's lwIP stack behind tap0 in a private network namespace,
#      a Linux client (curl, dig, busybox ping) on the other end of the link.
# usb: the simulator exported over USB/IP on 127.0.0.1, attached by a real
#      Linux kernel in a QEMU TCG guest (scripts/guest/bench-guest.sh); those
#      numbers include the emulation overhead and are only comparable to runs
#      on the same machine.
# chip-usb: the same guest run against the flashed image on the emulated chip
#      (--chip build/firmware/stm32net.elf; CHIP_ELF= names another image;
#      the NCM image build/firmware-ncm/stm32net.elf, CHIP_NCM_ELF=).
# usb and chip-usb run ECM and NCM (sim: --class ncm). reference: Linux's own
#      f_ecm and f_ncm gadgets on usbip-vudc in a second guest at full speed
#      (scripts/guest/reference-gadget.sh), the same guest run against them.
# The end: each throughput figure's ratio to the bus limit (9.728 Mbit/s) and
# to the reference, the CPU figures of build/chip-bench (CHIP_BENCH_OUT=, as
# make bench writes it) and the issue 13 goals, printed, never asserted.
# Layer: tooling, host side. Needs root for tap/all (namespaces, TAP), build/stm32net-sim
# and the tools scripts/deps.sh installs (iproute2, curl, dig, busybox, qemu,
# cpio, gzip, iperf). Throughput: "throughput sim|chip|reference tap|ecm|ncm rx|tx <Mbit/s>"
# lines from iperf 2 against the device's lwiperf (IPERF_S seconds a way).
# Reuses tests/e2e/lib.sh for cleanup, TAP and guest helpers.
# Network: only loopback, the QEMU guest and namespace stm32net-bench-<pid>,
# which is deleted on exit (EXIT trap). Every loop is bounded in count and by
# timeout; the whole run takes about 10-15 minutes (six guest runs).
# Statistics: median and p95 are nearest-rank over the samples collected;
# rates are total work / wall time of the whole sequential run.
set -uo pipefail
# shellcheck disable=SC2034  # read by tests/e2e/lib.sh
E2E_NAME=bench
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$here/../tests/e2e/lib.sh"

usage() { echo "usage: $0 [tap|usb|chip-usb|reference|all]" >&2; exit 2; }
[ $# -le 1 ] || usage
MODE=${1:-all}
case "$MODE" in tap|usb|chip-usb|reference|all) ;; *) usage ;; esac

# Only TAP mode needs root (ip netns, a TAP device); the USB/IP run uses
# loopback and an unprivileged QEMU.
if { [ "$MODE" = tap ] || [ "$MODE" = all ]; } && [ "$(id -u)" -ne 0 ]; then
  echo "bench: needs root: TAP mode creates a network namespace and a TAP device in it" >&2
  echo "bench: (run it as root, or '$0 usb', which needs no root)" >&2
  exit 2
fi
e2e_need_sim
e2e_need ip timeout stdbuf awk sort
case "$MODE" in tap|all) e2e_need curl dig busybox iperf ;; esac
case "$MODE" in usb|chip-usb|reference|all) e2e_need qemu-system-x86_64 cpio gzip ;; esac
e2e_init

DEV=192.168.7.1
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# stats FILE -> "n median p95 min max" over one number per line (nearest rank).
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END {
      if (NR == 0) { print "0 - - - -"; exit }
      m = int((NR + 1) / 2); p = int(NR * 0.95); if (p < NR * 0.95) p++
      printf "%d %.3f %.3f %.3f %.3f\n", NR, v[m], v[p], v[1], v[NR]
    }'
}
# div A B [FORMAT] -> A / B with awk (B 0 -> "-").
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.1f}" 'BEGIN { if (b == 0) print "-"; else printf f "\n", a / b }'; }
row() { printf '  %-28s %-16s %s\n' "$1" "$2" "$3"; }

# iperf_pair CSV -> ip_rx / ip_tx (bits/s) from `iperf -r -y C`: the line
# whose remote address (field 4) is the device is the client sending (device
# rx); iperf 2.1 prints lwiperf's connect-back with the device as the local
# address (field 2): device tx. Field 9 is bits/s.
IPERF_S=${IPERF_S:-5}
PACE=${PACE:-fs}   # the USB/IP runs keep the full-speed bus schedule (sim --pace)
case "$PACE" in fs|none) ;; *) echo "bench: PACE must be fs or none" >&2; exit 2 ;; esac
iperf_pair() {
  ip_rx=$(awk -F, -v d="$DEV" '$4 == d { v = $9 } END { print v }' <<<"$1")
  ip_tx=$(awk -F, -v d="$DEV" '$2 == d { v = $9 } END { print v }' <<<"$1")
}
mbit() { if [[ "${1:-}" =~ ^[0-9]+$ ]]; then div "$1" 1000000 '%.2f'; else echo "-"; fi; }

# ================================================================ TAP mode
bench_tap() {
  local ns=stm32net-bench-$$ log=$E2E_TMP/sim-tap.log t0 t1 n ok f line
  echo "TAP mode (simulator <-> Linux TAP in a private namespace):"
  e2e_netns_add "$ns"
  nsx() { ip netns exec "$ns" "$@"; }
  e2e_tap_sim "$ns" "$log" >/dev/null
  # A static address for the client: the DHCP server is not what we time here.
  nsx ip addr add 192.168.7.2/24 dev tap0
  # Warm-up (ARP, first connection); bounded to 10 tries.
  for n in $(seq 10); do
    nsx curl -s -m 2 -o /dev/null "http://$DEV/api/status" && break
    sleep 0.2
  done

  # --- HTTP GET /api/status, N sequential requests, one curl process, so the
  # numbers are the device's, not curl's start-up time.
  local N=300 cfg=$E2E_TMP/curl-status.cfg out=$E2E_TMP/http-status.txt
  : > "$cfg"
  for n in $(seq $N); do printf 'url = "http://%s/api/status"\noutput = "/dev/null"\n' "$DEV" >> "$cfg"; done
  t0=$(now_ms)
  nsx timeout 15 curl -s -m 5 -K "$cfg" -w '%{http_code} %{time_total}\n' > "$out" 2>/dev/null
  t1=$(now_ms)
  ok=$(awk '$1 == 200' "$out" | wc -l)
  awk '$1 == 200 { print $2 * 1000 }' "$out" > "$E2E_TMP/ms"
  read -r n med p95 _ max < <(stats "$E2E_TMP/ms")
  row "HTTP GET /api/status" "N=$N sequential" \
    "$(div $((ok * 1000)) $((t1 - t0)) '%.0f') req/s, median $med ms, p95 $p95 ms, max $max ms ($ok/$N ok)"

  # --- HTTP GET / (the page), N sequential requests.
  N=100; cfg=$E2E_TMP/curl-page.cfg; out=$E2E_TMP/http-page.txt
  : > "$cfg"
  for n in $(seq $N); do printf 'url = "http://%s/"\noutput = "/dev/null"\n' "$DEV" >> "$cfg"; done
  t0=$(now_ms)
  nsx timeout 15 curl -s -m 5 -K "$cfg" -w '%{http_code} %{size_download} %{time_total}\n' > "$out" 2>/dev/null
  t1=$(now_ms)
  ok=$(awk '$1 == 200' "$out" | wc -l)
  local bytes size
  bytes=$(awk '$1 == 200 { s += $2 } END { print s + 0 }' "$out")
  size=$(awk '$1 == 200 { print $2; exit }' "$out")
  awk '$1 == 200 { print $3 * 1000 }' "$out" > "$E2E_TMP/ms"
  read -r n med p95 _ max < <(stats "$E2E_TMP/ms")
  row "HTTP GET / (${size:-?} B)" "N=$N sequential" \
    "$(div $((bytes * 1000)) $(( (t1 - t0) * 1024 )) '%.0f') KB/s, median $med ms, p95 $p95 ms ($ok/$N ok)"

  # --- DNS: dig batch mode, one process, sequential queries.
  N=200; f=$E2E_TMP/dig.batch; out=$E2E_TMP/dig.txt
  : > "$f"
  for n in $(seq $N); do echo "@$DEV stm32net.usb A +tries=1 +time=2 +noall +answer" >> "$f"; done
  t0=$(now_ms)
  nsx timeout 15 dig -f "$f" > "$out" 2>/dev/null
  t1=$(now_ms)
  ok=$(grep -Ec "^stm32net\.usb\.[[:space:]].*[[:space:]]A[[:space:]]+$DEV\$" "$out")
  row "DNS A stm32net.usb" "N=$N sequential" \
    "$(div $((ok * 1000)) $((t1 - t0)) '%.0f') queries/s, mean $(div $((t1 - t0)) "$N" '%.2f') ms/query incl. dig ($ok/$N answered)"

  # --- ICMP echo, 1400 data bytes; -A sends the next one when the reply is in.
  N=100; out=$E2E_TMP/ping.txt
  nsx timeout 15 busybox ping -A -s 1400 -c $N -w 10 "$DEV" > "$out" 2>&1
  sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$out" > "$E2E_TMP/ms"
  read -r n med p95 _ max < <(stats "$E2E_TMP/ms")
  row "ICMP echo 1400 B" "N=$N" "median RTT $med ms, p95 $p95 ms, max $max ms ($n/$N replies)"

  # --- iperf 2 against the device's lwiperf (port 5001), -r: the client
  # sends for IPERF_S s (device rx), then lwiperf connects back and sends
  # (device tx). No USB in TAP mode (so "tap", not a class): these measure
  # the firmware's TCP path on this machine's CPU, not a bus.
  iperf_pair "$(nsx timeout $((2 * IPERF_S + 30)) iperf -c "$DEV" -t "$IPERF_S" -r -y C 2>/dev/null)"
  echo "throughput sim tap rx $(mbit "$ip_rx")"
  echo "throughput sim tap tx $(mbit "$ip_tx")"

  # The device's own link counters: evidence that all of the above crossed
  # the simulated link and was answered by the firmware, not by the kernel.
  line=$(nsx curl -s -m 5 "http://$DEV/api/status" | tr -d ' \n' |
    sed -n 's/.*"link":{\([^}]*\)}.*/\1/p')
  row "device link counters" "after the run" "${line:-unavailable}"
  # The heap's high-water mark after HTTP, JSON, DNS and iperf (MEM_SIZE
  # carries the TCP send copies, DNS replies and the fragment budget).
  line=$(nsx curl -s -m 5 "http://$DEV/api/mem" | tr -d ' \n' | sed -n 's/.*"heap":{\([^}]*\)}.*/\1/p')
  row "device heap (GET /api/mem)" "after the run" "${line:-unavailable}"
  e2e_stop_pid "$E2E_SIM_PID" 5
  ip netns delete "$ns" 2>/dev/null || true
}

# ================================================================ USB/IP mode
# Throughput figures of this run, key "device class dir" -> Mbit/s, for the
# ratios at the end; REF_WHY: why a reference figure is missing.
declare -A TP=()
REF_WHY=""
tp_line() {   # tp_line DEVICE CLASS DIR BPS NOTE
  local v; v=$(mbit "$4")
  TP["$1 $2 $3"]=$v
  echo "throughput $1 $2 $3 $v ($5)"
}

# bench_usb DEVICE CLASS [SIM ARGS]: DEVICE names the throughput lines (sim: the
# host-built firmware; chip: the flashed ELF on the emulated STM32F072), CLASS
# (ecm|ncm) the guest driver that must bind (cdc_ether|cdc_ncm).
# bench_usb reference CLASS: the same against reference-gadget.sh.
bench_usb() {
  local dev=$1 cls=$2; shift 2
  local log=$E2E_TMP/sim-usb-$dev-$cls.log console=$E2E_TMP/console-$dev-$cls.log script=$E2E_TMP/bench-guest-$dev-$cls.sh
  local line port busid start qrc pings=50 fetches=50 drv=cdc_ether refpid="" note="pace $PACE"
  [ "$cls" = ncm ] && drv=cdc_ncm
  echo "USB/IP + real kernel, device $dev $cls (QEMU TCG guest; absolute numbers include emulation overhead):"
  e2e_guest_build >/dev/null
  if [ "$dev" = reference ]; then
    # Linux's gadget in a second guest; vudc paces itself (see REF_NOTE)
    port=$(e2e_free_port) || { REF_WHY="no free port"; return 1; }
    busid=usbip-vudc.0
    REF_FUNC=$cls REF_SPEED=full-speed E2E_GUEST_DIR=$E2E_GUEST_DIR \
      bash "$here/guest/reference-gadget.sh" "$port" > "$log" 2>"$log.err" &
    refpid=$!
    e2e_track_pid "$refpid"
    line=$(e2e_wait_pid_line "$refpid" "$log" '^reference: exporting ' 120) || {
      e2e_dump "reference gadget log" "$log.err"; REF_WHY="the reference gadget guest did not come up"
      echo "bench: $REF_WHY" >&2; e2e_stop_pid "$refpid" 10; return 1; }
    note=$REF_NOTE
  else
    E2E_SIM_PREFIX="stdbuf -oL -eL" e2e_sim_start "$log" --listen 127.0.0.1:0 --pace "$PACE" "$@"
    line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$log" '^stm32net-sim: exporting ' 10) || {
      e2e_dump "simulator log" "$log"; echo "bench: simulator did not start" >&2; return 1; }
    port=$(sed -n 's/^stm32net-sim: exporting [^ ]* on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' <<<"$line")
    busid=$(sed -n 's/^stm32net-sim: exporting \([^ ]*\) on .*/\1/p' <<<"$line")
  fi
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "bench: cannot read the port from: $line" >&2; return 1; }
  { echo "PORT=$port"; echo "BUSID=$busid"; echo "PINGS=$pings"; echo "FETCHES=$fetches"; echo "IPERF_S=$IPERF_S"
    echo "GUEST_DRIVER=$drv"
    cat "$here/guest/bench-guest.sh"; } > "$script"
  start=$(now_ms)
  qrc=0; e2e_guest_run "$script" "$console" $((80 + 2 * IPERF_S + 20)) || qrc=$?
  local guest_s
  guest_s=$(div $(( $(now_ms) - start )) 1000 '%.1f')

  declare -A g=()
  local k v
  while read -r _ k v; do [ "$k" = rtt ] || g[$k]=$v; done < <(tr -d '\r' < "$console" | grep -a '^BENCH ')
  tr -d '\r' < "$console" | sed -n 's/^BENCH rtt //p' > "$E2E_TMP/ms"
  if [ "$qrc" -ne 0 ] || [ "${g[done]:-}" != yes ]; then
    echo "  (guest did not finish: qemu status $qrc, abort=${g[abort]:-none}; partial numbers follow)"
  fi
  row "attach -> $drv iface" "1 sample" "${g[iface_ms]:--} ms (usbip attach returned after ${g[attach_ms]:--} ms; USB speed ${g[usb_speed]:--} Mbit/s as the guest sees it)"
  row "attach -> DHCP lease" "1 sample" "${g[lease_ms]:--} ms (10 ms clock)"
  read -r n med p95 _ max < <(stats "$E2E_TMP/ms")
  row "ping $DEV -s 1400" "N=$pings" "median RTT $med ms, p95 $p95 ms, max $max ms ($n/${g[ping_sent]:-$pings} replies)"
  row "wget / x $fetches" "N=${g[wget_n]:--}" \
    "$(div "$(( ${g[wget_bytes]:-0} * 1000 ))" "$(( ${g[wget_ms]:-0} * 1024 ))" '%.0f') KB/s, $(div "${g[wget_ms]:-0}" "${g[wget_ok]:-0}" '%.1f') ms/page incl. wget start ($((${g[page_bytes]:-0})) B page, ${g[wget_ok]:--} ok)"
  row "wget /api/status x $fetches" "N=${g[api_n]:--}" \
    "$(div "$(( ${g[api_ok]:-0} * 1000 ))" "${g[api_ms]:-0}" '%.1f') req/s, $(div "${g[api_ms]:-0}" "${g[api_ok]:-0}" '%.1f') ms/req incl. wget start (${g[api_ok]:--} ok)"
  row "guest boot + run (wall)" "1 sample" "$guest_s s"
  # cdc_ether in the guest's kernel over USB/IP, on the full-speed schedule
  # (--pace fs, PACE=none for the unpaced figure, which means nothing: it is
  # bound by the guest's emulation, not by a bus).
  if [ "$dev" = reference ] && [ -z "${g[iperf_rx_bps]:-}${g[iperf_tx_bps]:-}" ]; then
    REF_WHY="the guest's iperf against the $cls gadget gave no figure (abort=${g[abort]:-none}, iperf rc ${g[iperf_rc]:--})"
  else
    local d bps n
    for d in rx tx; do
      bps=${g[iperf_${d}_bps]:-}; n=$note
      # Measured: with f_ncm, vudc moves more than a full-speed bus can
      # (one URB carries a whole NTB of several frames, and vudc's 1216-byte
      # budget per tick evidently does not hold such a transfer back).
      if [ "$dev" = reference ] && [[ "$bps" =~ ^[0-9]+$ ]] && [ "$bps" -gt 9728000 ]; then
        n="usbip-vudc full speed: ABOVE the 9.728 Mbit/s bus limit, so vudc does not enforce the full-speed byte budget for NTB-sized URBs; not a bus figure"
      elif [ "$dev" = reference ] && [ "$cls" = ncm ]; then
        # the 250 Hz note is about one Ethernet frame per URB (f_ecm); an NTB
        # carries several frames per URB, so the tick does not hold f_ncm back
        n="usbip-vudc full speed: one NTB of several frames per URB, so vudc's 250 Hz tick does not hold it back; its byte budget is not enforced either: not a bus ceiling"
      fi
      tp_line "$dev" "$cls" "$d" "$bps" "$n"
    done
  fi
  if [ -n "$refpid" ]; then e2e_stop_pid "$refpid" 10; else e2e_stop_pid "$E2E_SIM_PID" 5; fi
}
# Why the reference is slow (issue 13, measured; TESTBED.md): usbip-vudc moves
# URBs from its own timer, once per kernel tick (250 Hz in Debian's kernel),
# at full speed one frame per two ticks, as its per-frame budget (19 x 64 B)
# is smaller than a 1514-byte frame.
REF_NOTE="usbip-vudc full speed: held back by vudc's own 250 Hz timer, one frame per two ticks; not a bus ceiling"

# ================================================================ summary
BUS=9.728   # Mbit/s: 19 bulk packets x 64 B per 1 ms full-speed frame (USB 2.0 5.8.4)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
summary() {
  local k dev cls dir v ref cb
  echo "Ratios (bus limit $BUS Mbit/s, both directions share it; reference = Linux's gadget, same class and direction):"
  for k in "sim ecm rx" "sim ecm tx" "sim ncm rx" "sim ncm tx" "chip ecm rx" "chip ecm tx" "chip ncm rx" "chip ncm tx" \
           "reference ecm rx" "reference ecm tx" "reference ncm rx" "reference ncm tx"; do
    [ -n "${TP[$k]+x}" ] || continue
    read -r dev cls dir <<<"$k"
    v=${TP[$k]}; ref=${TP["reference $cls $dir"]:-n/a}
    if [ "$dev" = reference ]; then echo "ratio $k bus $(ratio "$v" "$BUS")"
    else echo "ratio $k bus $(ratio "$v" "$BUS") reference $(ratio "$v" "$ref")"; fi
  done
  # the emulated chip's CPU cost per full TCP segment (build/chip-bench)
  cb=${CHIP_BENCH_OUT:-$here/../build/chip-bench.txt}
  local rxc txc rxl txl
  if [ -f "$cb" ]; then
    rxc=$(awk '$2 == "tcp_rx_1460_cycles_per_segment" { print $3 }' "$cb")
    txc=$(awk '$2 == "tcp_tx_1460_cycles_per_segment" { print $3 }' "$cb")
    rxl=$(awk '$2 == "tcp_rx_cpu_limit_kbit_s" { printf "%.2f", $3 / 1000 }' "$cb")
    txl=$(awk '$2 == "tcp_tx_cpu_limit_kbit_s" { printf "%.2f", $3 / 1000 }' "$cb")
    echo "cycles chip ecm rx ${rxc:--} per 1460-byte TCP segment: a 48 MHz M0 is 100% busy at ${rxl:--} Mbit/s ($(ratio "${rxl:-}" "$BUS") x bus limit)"
    echo "cycles chip ecm tx ${txc:--} per 1460-byte TCP segment: a 48 MHz M0 is 100% busy at ${txl:--} Mbit/s ($(ratio "${txl:-}" "$BUS") x bus limit)"
  else
    echo "cycles chip ecm rx|tx n/a (no $cb: make bench writes it)"
  fi
  # Goals (issue 13): printed, never asserted.
  local best
  goal() {   # goal NAME WANT VALUE...
    local name=$1 want=$2; shift 2
    best=$(printf '%s\n' "$@" | awk '$1 ~ /^[0-9.]+$/ { if (m == "" || $1 > m) m = $1 } END { print (m == "") ? "-" : m }')
    echo "goal $name >= $want: best $best -> $(awk -v b="$best" -v w="$want" 'BEGIN { if (b !~ /^[0-9.]+$/) print "unknown (no figure in this run)"; else print (b >= w) ? "met" : "not met" }')"
  }
  goal "paced TCP one way over NCM (sim, chip) Mbit/s" 8.0 "${TP[sim ncm rx]:-}" "${TP[sim ncm tx]:-}" "${TP[chip ncm rx]:-}" "${TP[chip ncm tx]:-}"
  goal "paced TCP one way over ECM (sim, chip) Mbit/s" 7.5 "${TP[sim ecm rx]:-}" "${TP[sim ecm tx]:-}" "${TP[chip ecm rx]:-}" "${TP[chip ecm tx]:-}"
  local worst
  worst=$(printf '%s\n' "${rxl:-}" "${txl:-}" | awk '$1 ~ /^[0-9.]+$/ { if (m == "" || $1 < m) m = $1 } END { print (m == "") ? "-" : m }')
  echo "goal 48 MHz M0 carries >= 2 x bus limit ($(awk -v b="$BUS" 'BEGIN { printf "%.2f", 2 * b }') Mbit/s), worse direction: $worst Mbit/s -> $(awk -v w="$worst" -v b="$BUS" 'BEGIN { if (w !~ /^[0-9.]+$/) print "unknown"; else print (w >= 2 * b) ? "met" : "not met" }')"
}

rc=0
case "$MODE" in tap|all) bench_tap || rc=1 ;; esac
case "$MODE" in usb|all) bench_usb sim ecm || rc=1; bench_usb sim ncm --class ncm || rc=1 ;; esac
# the emulated chip (sim/chip/, Unicorn) running the flashed image, same guest
# run; the image carries its class (make firmware USB_CLASS=ncm)
CHIP_ELF=${CHIP_ELF:-$here/../build/firmware/stm32net.elf}
CHIP_NCM_ELF=${CHIP_NCM_ELF:-$here/../build/firmware-ncm/stm32net.elf}
case "$MODE" in chip-usb|all)
  if [ -f "$CHIP_ELF" ]; then bench_usb chip ecm --chip "$CHIP_ELF" || rc=1
  else echo "bench: no $CHIP_ELF for the chip run (make firmware)" >&2; rc=1; fi
  if [ -f "$CHIP_NCM_ELF" ]; then bench_usb chip ncm --chip "$CHIP_NCM_ELF" || rc=1
  else echo "bench: no $CHIP_NCM_ELF for the chip run (make firmware USB_CLASS=ncm)" >&2; rc=1; fi ;;
esac
case "$MODE" in reference|all)
  for c in ecm ncm; do
    REF_WHY=""
    bench_usb reference "$c" || rc=1
    if [ -n "$REF_WHY" ]; then
      for d in rx tx; do echo "throughput reference $c $d n/a ($REF_WHY)"; TP["reference $c $d"]=n/a; done
    fi
  done ;;
esac
summary
echo "bench: done"
exit $rc
