#!/usr/bin/env bash
# Benchmark (make bench): prints measured numbers for the simulator, it does
# not pass or fail and is not part of make test.
#   scripts/bench.sh [tap|usb|chip-usb|all]      (default all)
# tap: the simulator's lwIP stack behind tap0 in a private network namespace,
#      a Linux client (curl, dig, busybox ping) on the other end of the link.
# usb: the simulator exported over USB/IP on 127.0.0.1, attached by a real
#      Linux kernel in a QEMU TCG guest (scripts/guest/bench-guest.sh); those
#      numbers include the emulation overhead and are only comparable to runs
#      on the same machine.
# chip-usb: the same guest run against the flashed image on the emulated chip
#      (--chip build/firmware/stm32net.elf; CHIP_ELF= names another image).
# Layer: tooling, host side. Needs root for tap/all (namespaces, TAP), build/stm32net-sim
# and the tools scripts/deps.sh installs (iproute2, curl, dig, busybox, qemu,
# cpio, gzip, iperf). Throughput: "throughput sim tap|ecm rx|tx <Mbit/s>"
# lines from iperf 2 against the device's lwiperf (IPERF_S seconds a way).
# Reuses tests/e2e/lib.sh for cleanup, TAP and guest helpers.
# Network: only loopback, the QEMU guest and namespace stm32net-bench-<pid>,
# which is deleted on exit (EXIT trap). Every loop is bounded in count and by
# timeout; the whole run takes well under 2 minutes.
# Statistics: median and p95 are nearest-rank over the samples collected;
# rates are total work / wall time of the whole sequential run.
set -uo pipefail
# shellcheck disable=SC2034  # read by tests/e2e/lib.sh
E2E_NAME=bench
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$here/../tests/e2e/lib.sh"

usage() { echo "usage: $0 [tap|usb|chip-usb|all]" >&2; exit 2; }
[ $# -le 1 ] || usage
MODE=${1:-all}
case "$MODE" in tap|usb|chip-usb|all) ;; *) usage ;; esac

# Only TAP mode needs root (ip netns, a TAP device); the USB/IP run uses
# loopback and an unprivileged QEMU.
if [ "$MODE" != usb ] && [ "$MODE" != chip-usb ] && [ "$(id -u)" -ne 0 ]; then
  echo "bench: needs root: TAP mode creates a network namespace and a TAP device in it" >&2
  echo "bench: (run it as root, or '$0 usb', which needs no root)" >&2
  exit 2
fi
e2e_need_sim
e2e_need ip timeout stdbuf awk sort
case "$MODE" in tap|all) e2e_need curl dig busybox iperf ;; esac
case "$MODE" in usb|chip-usb|all) e2e_need qemu-system-x86_64 cpio gzip ;; esac
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
  e2e_stop_pid "$E2E_SIM_PID" 5
  ip netns delete "$ns" 2>/dev/null || true
}

# ================================================================ USB/IP mode
# bench_usb DEVICE [SIM ARGS]: DEVICE names the throughput lines (sim: the
# host-built firmware; chip: the flashed ELF on the emulated STM32F072).
bench_usb() {
  local dev=$1; shift
  local log=$E2E_TMP/sim-usb-$dev.log console=$E2E_TMP/console-$dev.log script=$E2E_TMP/bench-guest-$dev.sh
  local line port busid start qrc pings=50 fetches=50
  echo "USB/IP + real kernel, device $dev (QEMU TCG guest; absolute numbers include emulation overhead):"
  e2e_guest_build >/dev/null
  E2E_SIM_PREFIX="stdbuf -oL -eL" e2e_sim_start "$log" --listen 127.0.0.1:0 --pace "$PACE" "$@"
  line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$log" '^stm32net-sim: exporting ' 10) || {
    e2e_dump "simulator log" "$log"; echo "bench: simulator did not start" >&2; return 1; }
  port=$(sed -n 's/^stm32net-sim: exporting [^ ]* on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' <<<"$line")
  busid=$(sed -n 's/^stm32net-sim: exporting \([^ ]*\) on .*/\1/p' <<<"$line")
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "bench: cannot read the port from: $line" >&2; return 1; }
  { echo "PORT=$port"; echo "BUSID=$busid"; echo "PINGS=$pings"; echo "FETCHES=$fetches"; echo "IPERF_S=$IPERF_S"
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
  row "attach -> cdc_ether iface" "1 sample" "${g[iface_ms]:--} ms (usbip attach returned after ${g[attach_ms]:--} ms)"
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
  echo "throughput $dev ecm rx $(mbit "${g[iperf_rx_bps]:-}") (pace $PACE)"
  echo "throughput $dev ecm tx $(mbit "${g[iperf_tx_bps]:-}") (pace $PACE)"
  e2e_stop_pid "$E2E_SIM_PID" 5
}

rc=0
case "$MODE" in tap|all) bench_tap || rc=1 ;; esac
case "$MODE" in usb|all) bench_usb sim || rc=1 ;; esac
# the emulated chip (sim/chip/, Unicorn) running the flashed image, same guest run
CHIP_ELF=${CHIP_ELF:-$here/../build/firmware/stm32net.elf}
case "$MODE" in chip-usb|all)
  if [ -f "$CHIP_ELF" ]; then bench_usb chip --chip "$CHIP_ELF" || rc=1
  else echo "bench: no $CHIP_ELF for the chip run (make firmware)" >&2; rc=1; fi ;;
esac
echo "bench: done"
exit $rc
