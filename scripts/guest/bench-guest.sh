#!/bin/sh
# Guest side of scripts/bench.sh (usb mode): runs as /test.sh inside the QEMU
# guest (busybox ash, Debian's usbip) and times the simulator through the real
# Linux USB stack: vhci_hcd -> usbcore -> cdc_ether or cdc_ncm -> IPv4 (also
# Linux's own gadget from reference-gadget.sh, BUSID=usbip-vudc.0).
# Layer: benchmark, guest side. The host prepends PORT=, BUSID=, PINGS=,
# FETCHES=, IPERF_S= and GUEST_DRIVER= (cdc_ether or cdc_ncm) lines. It
# measures, it does not judge: nothing here passes or fails.
# Output contract: "BENCH <key> <value>" lines (value one word, "-" unknown)
# and one "BENCH rtt <ms>" line per ping reply; the host does the statistics.
# Limits: times come from /proc/uptime (10 ms resolution), so only totals over
# many operations and the attach->lease span are reported. Every wait and loop
# is bounded in count and time. Traffic goes only to 10.0.2.2 (the host's
# loopback via QEMU user networking) and 192.168.7.1 (the USB link).

# Helpers shared with usbip-check.sh; build-guest.sh packs them into the image.
GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "BENCH abort no-$GUEST_LIB"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}" "${PINGS:=50}" "${FETCHES:=50}"
DEV=$GUEST_DEV

B() { echo "BENCH $1 ${2:--}"; }

guest_udhcpc_script ""   # no lease file: only the address is needed

# ------------------------------------------------ attach -> interface -> lease
# Right after boot the guest's freshly loaded vhci_hcd makes the first attach
# take about 3 s more (measured: 3080 ms right after boot, 90 ms after a 3 s
# pause), which is the guest kernel settling, not the device. Listing the
# exports first, as a user would, lets it settle, as the e2e test does.
guest_usbip_list >/dev/null || true
sleep 2
t0=$(guest_now_ms)
guest_usbip_attach >/tmp/attach.log; rc=$?
t_att=$(guest_now_ms)
[ $rc -eq 0 ] || { cat /tmp/attach.log; B abort "attach:$rc"; exit 1; }
ifn=$(guest_wait_ecm_if 0.05)        # 10 s bound; finer steps for iface_ms
t_if=$(guest_now_ms)
[ -n "$ifn" ] || { dmesg | tail -n 30; B abort no-interface; exit 1; }
guest_dhcp "$ifn" >/tmp/udhcpc.log; rc=$?
t_lease=$(guest_now_ms)
[ $rc -eq 0 ] || { cat /tmp/udhcpc.log; B abort "dhcp:$rc"; exit 1; }
# the speed the guest's usbcore sees (12 = full speed, 480 = high speed)
d=$(guest_usb_dev) && B usb_speed "$(cat "$d/speed" 2>/dev/null)"
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
t0=$(guest_now_ms)
while [ $n -lt "$FETCHES" ] && [ $(( $(guest_now_ms) - t0 )) -lt 25000 ]; do
  n=$((n + 1))
  if timeout 10 wget -q -O /tmp/page "http://$DEV/" 2>/dev/null; then
    ok=$((ok + 1)); bytes=$((bytes + $(wc -c < /tmp/page)))
  fi
done
t1=$(guest_now_ms)
B wget_n "$n"
B wget_ok "$ok"
B wget_bytes "$bytes"
B wget_ms $((t1 - t0))
B page_bytes "$(wc -c < /tmp/page 2>/dev/null)"

# ------------------------------------------------ HTTP GET /api/status repeated
ok=0; n=0
t0=$(guest_now_ms)
while [ $n -lt "$FETCHES" ] && [ $(( $(guest_now_ms) - t0 )) -lt 25000 ]; do
  n=$((n + 1))
  timeout 10 wget -q -O /tmp/st "http://$DEV/api/status" 2>/dev/null && ok=$((ok + 1))
done
t1=$(guest_now_ms)
B api_n "$n"
B api_ok "$ok"
B api_ms $((t1 - t0))

# ------------------------------------------------ iperf 2 against lwiperf
# -r (tradeoff): the guest sends for IPERF_S seconds (device rx), then the
# device's lwiperf connects back to the guest's port 5001 and sends (device
# tx). -y C: CSV, field 9 bits/s; the line whose remote address (field 4) is
# the device is the guest's sending, the one that names the device as local
# address (field 2, as iperf 2.1 prints the connect-back) the device's.
# The host runs the device paced (--pace fs) unless PACE=none says otherwise.
timeout $((2 * ${IPERF_S:-5} + 30)) iperf -c "$DEV" -t "${IPERF_S:-5}" -r -y C >/tmp/iperf.csv 2>/tmp/iperf.err
B iperf_rc $?
B iperf_rx_bps "$(awk -F, -v d="$DEV" '$4 == d { v = $9 } END { print v }' /tmp/iperf.csv)"
B iperf_tx_bps "$(awk -F, -v d="$DEV" '$2 == d { v = $9 } END { print v }' /tmp/iperf.csv)"
B "done" yes
