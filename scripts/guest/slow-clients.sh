# shellcheck shell=sh
# The slow-client scenario of issue 10, as busybox ash functions, shared by the
# TAP-mode test (tests/e2e/35-slow-clients.sh, run with busybox applets in the
# test's namespace) and the real-kernel test (tests/e2e/55-kernel-slow-clients.sh,
# appended to the guest's /test.sh after guest-lib.sh and its attach/DHCP steps).
# Layer: test infrastructure (busybox ash: nc, ping, nslookup, udhcpc, wget,
# timeout). Sourcing defines functions only and prints nothing.
# Output contract: "RESULT <key> <value>" lines (one word values) that the host
# side compares; everything else is evidence for a human.
# Limits: every command is bounded by timeout or a count; the stalled clients
# end by themselves (their sleep) - nothing is killed by name.
# What it does: 8 TCP connections to port 80 each send half a request line and
# wait; while they hold, one ping, one DNS query, one DHCP DISCOVER (a full
# udhcpc exchange with a no-op script) and one complete GET /api/status from
# another socket are each timed. Then the stalled clients go away and
# GET /api/mem must show the same pools and heap as before they came.

# sc_ms: milliseconds from /proc/uptime (10 ms resolution).
sc_ms() {
  read -r up _ < /proc/uptime
  s=${up%.*}; f=${up#*.}; f=${f#0}
  echo $(( s * 1000 + ${f:-0} * 10 ))
}

# sc_mem DEV: the idle-comparable part of GET /api/mem as one word,
# pbuf_pool/pbuf_ref/tcp_seg used, tcp_active, http_conns, heap used.
sc_mem() {
  m=$(timeout 5 wget -q -O - "http://$1/api/mem" 2>/dev/null | tr -d ' \n')
  [ -n "$m" ] || { echo none; return; }
  u() { echo "$m" | sed -n "s/.*\"$1\":{\"used\":\([0-9]*\).*/\1/p"; }
  a=$(echo "$m" | sed -n 's/.*"tcp_active":\([0-9]*\).*/\1/p')
  h=$(echo "$m" | sed -n 's/.*"http_conns":\([0-9]*\).*/\1/p')
  echo "pool$(u pbuf_pool)-ref$(u pbuf_ref)-seg$(u tcp_seg)-tcp$a-http$h-heap$(u heap)"
}

# sc_stall DEV SECONDS: one connection holding half a request for SECONDS.
sc_stall() {
  { printf 'GET / HTTP/1.1\r\n'; sleep "$2"; } | timeout $(( $2 + 2 )) nc "$1" 80 >/dev/null 2>&1
}

# sc_run DEV IFACE: the scenario; RESULT sc_* lines.
sc_run() {
  dev=$1; ifn=$2
  echo "RESULT sc_mem_before $(sc_mem "$dev")"
  t0=$(sc_ms)
  n=0
  while [ $n -lt 8 ]; do sc_stall "$dev" 2 & n=$((n + 1)); done
  sleep 0.3                        # all 8 connected and holding

  out=$(timeout 3 ping -c 1 -W 1 "$dev" 2>&1); echo "$out"
  # busybox and iputils both print "time=X ms"; round up to whole ms
  ms=$(echo "$out" | sed -n 's/.*time=\([0-9]*\)\(\.[0-9]*\)\{0,1\} *ms.*/\1/p' | head -n1)
  echo "RESULT sc_ping_ms ${ms:-lost}"

  a=$(sc_ms); out=$(timeout 3 nslookup stm32net.usb "$dev" 2>&1); rc=$?; b=$(sc_ms)
  echo "$out"
  ok=$(echo "$out" | sed -n '/^Name:/,$ s/^Address:[ \t]*\([0-9.]*\)$/\1/p' | head -n1)
  echo "RESULT sc_dns $([ $rc -eq 0 ] && [ "$ok" = "$dev" ] && echo ok || echo "fail:$rc")"
  echo "RESULT sc_dns_ms $((b - a))"

  a=$(sc_ms); out=$(timeout 3 udhcpc -i "$ifn" -s /bin/true -n -q -t 1 -T 1 2>&1); rc=$?; b=$(sc_ms)
  echo "$out"
  echo "RESULT sc_dhcp $([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
  echo "RESULT sc_dhcp_ms $((b - a))"

  a=$(sc_ms); out=$(timeout 3 wget -q -O - "http://$dev/api/status" 2>&1); rc=$?; b=$(sc_ms)
  echo "$out" | head -c 300; echo
  echo "RESULT sc_http $([ $rc -eq 0 ] && echo "$out" | grep -q '"hostname"' && echo ok || echo "fail:$rc")"
  echo "RESULT sc_http_ms $((b - a))"
  # all of it happened while the stalled clients held (the device answers
  # them 408 after 2 s)
  echo "RESULT sc_window_ms $(( $(sc_ms) - t0 ))"

  wait                              # the stalled clients end (sleep 2 / 408)
  sleep 3                           # lingering closes run out
  echo "RESULT sc_mem_after $(sc_mem "$dev")"
}
