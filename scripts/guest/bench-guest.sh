#!/bin/sh
# Guest side of scripts/bench.sh (usb mode): runs as /test.sh inside the QEMU
# guest (busybox ash, Debian's usbip) and times the simulator through the real
# Linux USB stack: vhci_hcd -> usbcore -> cdc_ether -> IPv4.
# Layer: benchmark, guest side. The host prepends PORT=, BUSID=, PINGS= and
# FETCHES= lines. It measures, it does not judge: nothing here passes or fails.
# Output contract: "BENCH <key> <value>" lines (value one word, "-" unknown)
# and one "BENCH rtt <ms>" line per ping reply; the host does the statistics.
# Limits: times come from /proc/uptime (10 ms resolution), so only totals over
# many operations and the attach->lease span are reported. Every wait and loop
# is bounded in count and time. Traffic goes only to 10.0.2.2 (the host's
# loopback via QEMU user networking) and 192.168.7.1 (the USB link).

: "${PORT:?}" "${BUSID:=1-1}" "${PINGS:=50}" "${FETCHES:=50}"
HOST=10.0.2.2
DEV=192.168.7.1

B() { echo "BENCH $1 ${2:--}"; }

# Milliseconds since boot from /proc/uptime (centisecond resolution).
now_ms() {
  read -r up _ < /proc/uptime
  s=${up%.*}; f=${up#*.}; f=${f#0}
  echo $(( s * 1000 + ${f:-0} * 10 ))
}

cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    ;;
  deconfig)
    ip link set "$interface" up
    ip addr flush dev "$interface"
    ;;
esac
exit 0
EOF
chmod +x /tmp/udhcpc.sh

# The network interface whose driver is cdc_ether ("" if none).
ecm_if() {
  for d in /sys/class/net/*; do
    drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
    [ "${drv##*/}" = cdc_ether ] && { echo "${d##*/}"; return 0; }
  done
  return 1
}

# ------------------------------------------------ attach -> interface -> lease
# Right after boot the guest's freshly loaded vhci_hcd makes the first attach
# take about 3 s more (measured: 3080 ms right after boot, 90 ms after a 3 s
# pause), which is the guest kernel settling, not the device. Listing the
# exports first, as a user would, lets it settle, as the e2e test does.
usbip --tcp-port "$PORT" list -r "$HOST" >/dev/null 2>&1 || true
sleep 2
t0=$(now_ms)
timeout 20 usbip --tcp-port "$PORT" attach -r "$HOST" -b "$BUSID" >/tmp/attach.log 2>&1; rc=$?
t_att=$(now_ms)
[ $rc -eq 0 ] || { cat /tmp/attach.log; B abort "attach:$rc"; exit 1; }
ifn=""
i=0
while [ $i -lt 200 ]; do             # 20 s bound; enumeration takes < 2 s under TCG
  ifn=$(ecm_if) && break
  i=$((i + 1)); sleep 0.05
done
t_if=$(now_ms)
[ -n "$ifn" ] || { dmesg | tail -n 30; B abort no-interface; exit 1; }
ip link set "$ifn" up
timeout 30 udhcpc -i "$ifn" -s /tmp/udhcpc.sh -n -q -t 5 -T 2 >/tmp/udhcpc.log 2>&1; rc=$?
t_lease=$(now_ms)
[ $rc -eq 0 ] || { cat /tmp/udhcpc.log; B abort "dhcp:$rc"; exit 1; }
B attach_ms $((t_att - t0))
B iface_ms $((t_if - t0))
B lease_ms $((t_lease - t0))

# ------------------------------------------------ ICMP echo, 1400 data bytes
# -A: next request as soon as the reply is in, so the run measures RTT and is
# not stretched by the default 1 s interval; -w bounds the whole run.
timeout 25 ping -A -s 1400 -c "$PINGS" -w 20 "$DEV" >/tmp/ping.log 2>&1
sed -n 's/.* time=\([0-9.]*\) ms.*/BENCH rtt \1/p' /tmp/ping.log
B ping_sent "$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' /tmp/ping.log)"

# ------------------------------------------------ HTTP GET / repeated
# One connection per request (busybox wget, HTTP/1.0-style): this is the
# page load a browser on the host would see, connection setup included.
ok=0; bytes=0; n=0
t0=$(now_ms)
while [ $n -lt "$FETCHES" ] && [ $(( $(now_ms) - t0 )) -lt 25000 ]; do
  n=$((n + 1))
  if timeout 10 wget -q -O /tmp/page "http://$DEV/" 2>/dev/null; then
    ok=$((ok + 1)); bytes=$((bytes + $(wc -c < /tmp/page)))
  fi
done
t1=$(now_ms)
B wget_n "$n"
B wget_ok "$ok"
B wget_bytes "$bytes"
B wget_ms $((t1 - t0))
B page_bytes "$(wc -c < /tmp/page 2>/dev/null)"

# ------------------------------------------------ HTTP GET /api/status repeated
ok=0; n=0
t0=$(now_ms)
while [ $n -lt "$FETCHES" ] && [ $(( $(now_ms) - t0 )) -lt 25000 ]; do
  n=$((n + 1))
  timeout 10 wget -q -O /tmp/st "http://$DEV/api/status" 2>/dev/null && ok=$((ok + 1))
done
t1=$(now_ms)
B api_n "$n"
B api_ok "$ok"
B api_ms $((t1 - t0))
B "done" yes
