#!/usr/bin/env bash
# soak.sh - make soak: the simulator in TAP mode under a long mixed load, and
# the faults it must survive without a restart. Numbers and PASS/FAIL lines.
#
#   SOAK_HTTP=10000 SOAK_DNS=10000 SOAK_PINGS=2000 (defaults) set the load.
# Load: a DHCP lease, then SOAK_HTTP requests (GET /api/status, GET /, POST
# /api/led in turn, each its own connection), SOAK_DNS queries and
# SOAK_PINGS pings, all at once. Then faults: the simulator stopped (SIGSTOP)
# for 6 s and continued; tap0 taken down and up under traffic. After each the
# device must answer HTTP, DNS and ping again. Then the load once more. Every
# request answered with the right status, the simulator's resident memory
# has not grown in the second round (no allocation in the hot path: growth
# means a leak), and no received frame was dropped. Not covered here (left for the kernel soak): USB/IP
# detach/attach cycles through the QEMU guest, lwIP's pool counts.
# Layer: scripts (bench-like). Needs root, iproute2, busybox (udhcpc, ping), curl, dig.
# Everything happens in namespace stm32net-soak-<pid>, deleted on exit.
set -euo pipefail
E2E_NAME=soak
source "$(dirname "$0")/../tests/e2e/lib.sh"

e2e_need_root
e2e_need ip busybox dig curl stdbuf timeout qemu-system-x86_64 cpio gzip
e2e_need_sim
e2e_init

N_HTTP=${SOAK_HTTP:-10000}; N_DNS=${SOAK_DNS:-10000}; N_PING=${SOAK_PINGS:-2000}
N_CYCLES=${SOAK_CYCLES:-100}; N_GUEST_REQS=${SOAK_GUEST_REQS:-1000}
NS=stm32net-soak-$$
SIM_LOG=$E2E_TMP/sim.log
DEV=192.168.7.1
URL=http://$DEV
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }
bad=0
ok() { printf '  ok    %s\n' "$*"; }
no() { printf '  FAIL  %s\n' "$*"; bad=1; }
trap 'rc=$?; [ $rc -eq 0 ] && [ $bad -eq 0 ] || { tail -n 40 "$SIM_LOG" >"$E2E_TMP/sim.tail"; e2e_dump "simulator log (tail)" "$E2E_TMP/sim.tail"; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
e2e_udhcpc_script "$E2E_TMP/udhcpc.sh"
nsx timeout 30 busybox udhcpc -i tap0 -s "$E2E_TMP/udhcpc.sh" -n -q -t 5 -T 2 -f >/dev/null 2>&1 ||
  e2e_fail "no DHCP lease"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$E2E_SIM_PID/status"; }

# the device answers all three services (after a fault: within 20 s)
serves() {
  local what=$1 i
  for i in $(seq 40); do
    if nsx curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/api/status" 2>/dev/null | grep -q 200 &&
       nsx dig @"$DEV" +tries=1 +time=1 +short stm32net.usb A 2>/dev/null | grep -q "^$DEV$" &&
       nsx busybox ping -c 1 -W 1 "$DEV" >/dev/null 2>&1; then
      ok "$what: HTTP, DNS and ping answer (after $((i - 1)) retries)"; return 0
    fi
    sleep 0.5
  done
  no "$what: the device does not serve again within 20 s"
}
serves "start"
# warm up, so the first RSS figure includes what the first requests touch
for i in $(seq 50); do printf 'url = "%s/api/status"\noutput = "/dev/null"\n' "$URL"; done >"$E2E_TMP/warm.cfg"
nsx curl -s -K "$E2E_TMP/warm.cfg" >/dev/null 2>&1 || true
rss0=$(rss)
# lwIP's pools and heap in use (GET /api/mem), the part that is idle-comparable
mem() {
  local m u
  m=$(nsx curl -s -m 5 "$URL/api/mem" | tr -d ' \n')
  u() { sed -n "s/.*\"$1\":{\"used\":\([0-9]*\).*/\1/p" <<<"$m"; }
  echo "pool$(u pbuf_pool)-ref$(u pbuf_ref)-seg$(u tcp_seg)-tcp$(sed -n 's/.*"tcp_active":\([0-9]*\).*/\1/p' <<<"$m")-http$(sed -n 's/.*"http_conns":\([0-9]*\).*/\1/p' <<<"$m")-heap$(u heap)"
}
sleep 3   # the warm-up's connections finish their lingering close (2 s)
mem0=$(mem)

# ------------------------------------------------------------ mixed load
for i in $(seq "$N_HTTP"); do
  case $((i % 3)) in
    0) printf 'url = "%s/api/status"\n' "$URL" ;;
    1) printf 'url = "%s/"\n' "$URL" ;;
    2) printf 'url = "%s/api/led"\ndata = "n=%d&state=toggle"\n' "$URL" $((i % 4)) ;;
  esac
  printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nmax-time = 10\nnext\n'
done >"$E2E_TMP/http.cfg"
for i in $(seq "$N_DNS"); do
  case $((i % 4)) in
    0) echo "stm32net.usb A" ;; 1) echo "stm32net.usb AAAA" ;; 2) echo "nope.usb A" ;; 3) echo "example.com A" ;;
  esac
done >"$E2E_TMP/dns.txt"
run_load() {  # $1: which round
  t0=$(date +%s)
  nsx curl -s -K "$E2E_TMP/http.cfg" >"$E2E_TMP/http.codes" 2>/dev/null &
  p_http=$!
  nsx dig @"$DEV" +tries=2 +time=2 +noall +comments -f "$E2E_TMP/dns.txt" >"$E2E_TMP/dns.out" 2>&1 &
  p_dns=$!
  nsx busybox ping -q -A -c "$N_PING" -W 2 "$DEV" >"$E2E_TMP/ping.out" 2>&1 &
  p_ping=$!
  wait "$p_http" || true; wait "$p_dns" || true; wait "$p_ping" || true
  secs=$(( $(date +%s) - t0 ))
  http200=$(grep -c '^200$' "$E2E_TMP/http.codes" || true)
  dns_ok=$(grep -cE 'status: (NOERROR|NXDOMAIN|REFUSED)' "$E2E_TMP/dns.out" || true)
  ping_rx=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' "$E2E_TMP/ping.out")
  echo "load $1: $N_HTTP HTTP, $N_DNS DNS, $N_PING pings in $secs s"
  [ "$http200" -eq "$N_HTTP" ] && ok "HTTP: $http200/$N_HTTP answered 200" ||
    no "HTTP: $http200/$N_HTTP answered 200 ($(sort "$E2E_TMP/http.codes" | uniq -c | tr '\n' ' '))"
  [ "$dns_ok" -eq "$N_DNS" ] && ok "DNS: $dns_ok/$N_DNS answered" || no "DNS: $dns_ok/$N_DNS answered"
  # pings share the link with the load: a few may be lost to a full queue, not more than 1 %
  [ "${ping_rx:-0}" -ge $((N_PING * 99 / 100)) ] && ok "ping: $ping_rx/$N_PING replies" ||
    no "ping: ${ping_rx:-0}/$N_PING replies"
}

run_load 1
rss1=$(rss)

# ------------------------------------------------------------ faults
kill -STOP "$E2E_SIM_PID"; sleep 6; kill -CONT "$E2E_SIM_PID"
serves "after SIGSTOP for 6 s"
nsx busybox ping -q -c 40 -i 0.1 -W 1 "$DEV" >/dev/null 2>&1 &
p_ping=$!
sleep 1; nsx ip link set tap0 down; sleep 2; nsx ip link set tap0 up
wait "$p_ping" || true
serves "after tap0 down/up under traffic"

# the same load once more: by now every page the process uses is resident,
# so any growth from here on is memory that is not given back
run_load 2

# ------------------------------------------------------------ at the end
rss2=$(rss)
# every connection of the load has finished its lingering close by then
mem2=$(mem)
for _ in $(seq 20); do [ "$mem2" = "$mem0" ] && break; sleep 0.5; mem2=$(mem); done
echo "lwIP in use (GET /api/mem): $mem0 before the load, $mem2 after"
[ "$mem2" = "$mem0" ] && [ -n "$mem0" ] && ok "pools, connections and heap back at their idle counts" ||
  no "pools/heap not back at idle: $mem0 before, $mem2 after"
echo "simulator VmRSS: $rss0 kB before the load, $rss1 kB after round 1, $rss2 kB after the faults and round 2"
# 8 kB of slack: two pages the libc may still touch late
[ "$rss2" -le $((rss1 + 8)) ] && ok "resident memory did not grow in round 2" ||
  no "resident memory grew by $((rss2 - rss1)) kB in round 2"
link=$(nsx curl -s -m 5 "$URL/api/status" | sed -n 's/.*"link":{\([^}]*\)}.*/\1/p')
# tx_dropped also counts frames lwIP sent while tap0 was down (the fault above)
echo "link counters: $link"
grep -q '"rx_dropped":0' <<<"$link" && ok "no received frame dropped" || no "received frames dropped: $link"
kill -0 "$E2E_SIM_PID" 2>/dev/null && ok "the simulator ran throughout (pid $E2E_SIM_PID)" || no "the simulator died"
e2e_stop_pid "$E2E_SIM_PID" 5

# ------------------------------------------------------------ kernel phase
e2e_need qemu-system-x86_64 cpio gzip
e2e_guest_build
USB_LOG=$E2E_TMP/usbip-sim.log
CONSOLE=$E2E_TMP/console.log
E2E_SIM_PREFIX="stdbuf -oL -eL" e2e_sim_start "$USB_LOG" --listen 127.0.0.1:0
line=$(e2e_wait_pid_line "$E2E_SIM_PID" "$USB_LOG" '^stm32net-sim: exporting ' 10) ||
  e2e_fail "simulator did not print its export line"
port=$(sed -n 's/^stm32net-sim: exporting [^ ]* on 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' <<<"$line")
script=$E2E_TMP/soak-guest.sh
{ echo "PORT=$port"; echo "BUSID=1-1"; echo "CYCLES=$N_CYCLES"; echo "REQS=$N_GUEST_REQS"
  cat "$E2E_ROOT/scripts/soak-guest.sh"; } > "$script"
# TCG guest: about 3 s per cycle and 0.1 s per request, plus the boot
qsecs=$((60 + N_CYCLES * 6 + N_GUEST_REQS / 2))
t0=$(date +%s)
qrc=0; e2e_guest_run "$script" "$CONSOLE" "$qsecs" || qrc=$?
echo "kernel phase: guest finished in $(( $(date +%s) - t0 )) s (qemu status $qrc, bound $qsecs s)"
declare -A got=()
while read -r _ k v; do got[$k]=$v; done < <(tr -d '\r' < "$CONSOLE" | grep -a '^RESULT ')
want() {  # key expected
  if [ "${got[$1]:-<missing>}" = "$2" ]; then ok "kernel $1: $2"; else no "kernel $1: got \"${got[$1]:-<missing>}\", expected \"$2\""; fi
}
want cycles_ok "$N_CYCLES/$N_CYCLES"
want http_ok "$N_GUEST_REQS/$N_GUEST_REQS"
want dns_ok "$N_GUEST_REQS/$N_GUEST_REQS"
want "done" yes
echo "kernel: worst attach->page $(printf %s "${got[cycle_worst_ms]:-?}") ms, ping ${got[ping]:-?}, first failure ${got[cycle_first_fail]:-?}, link ${got[link]:-?}"
kill -0 "$E2E_SIM_PID" 2>/dev/null && ok "the simulator survived $N_CYCLES detach/attach cycles" || no "the simulator died"
if [ "$bad" -ne 0 ]; then
  tail -n 60 "$CONSOLE" > "$E2E_TMP/console.tail"; e2e_dump "guest console (tail)" "$E2E_TMP/console.tail"
  tail -n 30 "$USB_LOG" > "$E2E_TMP/usb.tail"; e2e_dump "simulator log (tail)" "$E2E_TMP/usb.tail"
fi
[ "$bad" -eq 0 ] || e2e_fail "see FAIL lines above"
e2e_log "PASS"
