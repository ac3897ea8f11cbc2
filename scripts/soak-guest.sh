#!/bin/sh
# Guest side of make soak's kernel phase (scripts/soak.sh): runs as /test.sh
# in the QEMU guest (busybox ash, Debian's usbip and kernel). CYCLES times:
# usbip attach -> cdc_ether -> DHCP lease -> the page over HTTP -> detach ->
# the interface gone. Then REQS HTTP requests and REQS DNS queries mixed with
# pings over the last attachment. The host prepends PORT=, BUSID=, CYCLES=
# and REQS= lines. Output: "RESULT key value" lines (as usbip-check.sh).
# Limits: every step bounded; a failed cycle is counted and the next one
# still runs (after a detach of whatever is attached).
GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "RESULT abort no-$GUEST_LIB"; exit 1; }
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}" "${CYCLES:=100}" "${REQS:=1000}"
DEV=$GUEST_DEV
LEASE=/tmp/lease.txt
R() { echo "RESULT $1 ${2:--}"; }
echo 'hosts: files dns' > /etc/nsswitch.conf
: > /etc/hosts
guest_udhcpc_script "$LEASE"

detach_all() {
  for p in $(timeout 10 usbip port 2>/dev/null | sed -n 's/^Port \([0-9]*\):.*/\1/p'); do
    p=${p#0}; timeout 20 usbip detach -p "${p:-0}" >/dev/null 2>&1
  done
}

ok=0; n=0; worst=0; first_fail=-
while [ $n -lt "$CYCLES" ]; do
  n=$((n + 1))
  rm -f "$LEASE"
  t0=$(guest_now_ms)
  step=attach
  if guest_usbip_attach >/dev/null; then
    step=iface; ifn=$(guest_wait_ecm_if 0.1)
    if [ -n "$ifn" ]; then
      step=dhcp
      if guest_dhcp "$ifn" >/dev/null; then
        step=http
        timeout 20 wget -q -O /tmp/page.html "http://$DEV/"; wrc=$?
        # the page is served gzip-compressed (firmware/app/web.mk); wget keeps the bytes
        if [ $wrc -eq 0 ] && { zcat /tmp/page.html 2>/dev/null || cat /tmp/page.html; } | grep -q 'id="time"'; then
          step=ok
        fi
      fi
    fi
  fi
  ms=$(( $(guest_now_ms) - t0 ))
  [ "$ms" -gt "$worst" ] && worst=$ms
  if [ "$step" = ok ]; then ok=$((ok + 1)); else
    [ "$first_fail" = - ] && first_fail="$n:$step"
    echo "GUEST cycle $n failed at $step (wget status ${wrc:-none}, page $(wc -c < /tmp/page.html 2>/dev/null) bytes)"
  fi
  [ $n -lt "$CYCLES" ] || break   # the last attachment stays for the load
  detach_all
  i=0; while [ $i -lt 100 ] && [ -n "$ifn" ] && [ -e "/sys/class/net/$ifn" ]; do i=$((i + 1)); sleep 0.1; done
  sleep 0.5   # the simulator re-exports once it saw the connection close
done
R cycles_ok "$ok/$CYCLES"
R cycle_first_fail "$first_fail"
R cycle_worst_ms "$worst"

# mixed load over the last attachment
h=0; d=0; i=0
timeout 600 ping -q -c $((REQS / 10 + 1)) -i 0.5 "$DEV" > /tmp/ping.txt 2>&1 &
while [ $i -lt "$REQS" ]; do
  i=$((i + 1))
  timeout 10 wget -q -O /dev/null "http://$DEV/api/status" && h=$((h + 1))
  # the answer follows the "Name:" line (the server's own address is above it)
  timeout 5 nslookup stm32net.usb "$DEV" 2>/dev/null | sed -n '/^Name:/,$p' | grep -q "$DEV" && d=$((d + 1))
done
wait
R http_ok "$h/$REQS"
R dns_ok "$d/$REQS"
R ping "$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\2\/\1/p' /tmp/ping.txt)"
st=$(timeout 10 wget -q -O - "http://$DEV/api/status")
R link "$(echo "$st" | tr -d ' \n' | sed -n 's/.*"link":{\([^}]*\)}.*/\1/p')"
detach_all
R "done" yes
