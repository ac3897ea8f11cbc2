#!/bin/sh
# Guest side of tests/e2e/50-kernel-usbip.sh: runs as /test.sh inside the QEMU
# guest (busybox ash, Debian's usbip) and exercises the simulator through the
# real Linux USB stack: vhci_hcd -> usbcore -> cdc_ether -> IPv4.
# Layer: test, guest side. The host prepends PORT= and BUSID= lines, and for
# the NCM test DRIVER=cdc_ncm (the driver that must bind, default cdc_ether),
# PING_SIZES="..." (one ping per ICMP payload size; "frag": 1400 bytes with the
# interface MTU at 576, so IPv4 fragments them) and USBDESC=1 (read the
# BOS and MS OS 2.0 descriptors through usbfs with /usr/bin/usbdesc).
# Output contract: one "RESULT <key> <value>" line per check (value is one
# word, "-" when unknown); the host compares them with exact expected values.
# Everything else printed is raw evidence for a human reading a failure.
# Limits: every wait is bounded; a failed step still prints its RESULT lines so
# the host reports the first mismatch, not a timeout. Traffic goes only to
# 10.0.2.2 (the host's loopback via QEMU) and 192.168.7.x (the USB link).

# Helpers shared with bench-guest.sh; build-guest.sh packs them into the image.
GUEST_LIB=/lib/stm32net/guest-lib.sh
[ -r "$GUEST_LIB" ] || { echo "RESULT abort no-$GUEST_LIB"; exit 1; }
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$GUEST_LIB"
: "${PORT:?}" "${BUSID:=1-1}" "${DRIVER:=cdc_ether}" "${PING_SIZES:=}" "${USBDESC:=0}"
GUEST_DRIVER=$DRIVER
HOST=$GUEST_HOST
DEV=$GUEST_DEV
LEASE=/tmp/lease.txt

R() { echo "RESULT $1 ${2:--}"; }
say() { echo "GUEST $*"; }

# busybox static glibc resolves through NSS "files dns" with these files.
echo 'hosts: files dns' > /etc/nsswitch.conf
: > /etc/hosts

guest_udhcpc_script "$LEASE"
lease_get() { guest_lease_get "$LEASE" "$1"; }

fetch() {  # URL [wget options...] -> body on stdout, status in $?
  url=$1; shift
  timeout 10 wget -q -O - "$@" "$url"
}

# One attach -> cdc_ether -> DHCP -> detach-able cycle; N = 1 or 2.
cycle() {
  n=$1
  rm -f "$LEASE"
  t0=$(guest_now_ms)
  out=$(guest_usbip_attach); rc=$?
  echo "$out"
  R "attach$n" "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"

  ifn=$(guest_wait_ecm_if 0.1)       # 20 s bound
  t_if=$(guest_now_ms)
  R "iface$n" "$([ -n "$ifn" ] && echo "$DRIVER" || echo none)"
  say "iface$n=${ifn:-none} after $((t_if - t0)) ms"
  if [ -z "$ifn" ]; then
    dmesg | tail -n 40
    return 1
  fi
  R "mac$n" "$(cat "/sys/class/net/$ifn/address")"
  d=$(guest_usb_dev) && {
    R "serial$n" "$(cat "$d/serial" 2>/dev/null)"
    say "usb $d: $(cat "$d/manufacturer" 2>/dev/null) / $(cat "$d/product" 2>/dev/null) speed=$(cat "$d/speed")"
  }

  guest_dhcp "$ifn"; rc=$?
  t1=$(guest_now_ms)
  R "dhcp$n" "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
  R "lease${n}_ip" "$(lease_get ip)"
  R "lease${n}_subnet" "$(lease_get subnet)"
  R "lease${n}_dns" "$(lease_get dns)"
  R "lease${n}_domain" "$(lease_get domain)"
  R "lease${n}_router" "$(lease_get router)"
  R "lease${n}_ms" "$((t1 - t0))"
  ip addr show dev "$ifn"
  IFN=$ifn
}

say "usbip list -r $HOST port $PORT"
out=$(guest_usbip_list); echo "$out"
R list "$(echo "$out" | grep -q '(1209:0001)' && echo 1209:0001 || echo missing)"
R list_busid "$(echo "$out" | grep -q "^ *$BUSID:" && echo "$BUSID" || echo missing)"

cycle 1 || { R abort cycle1; exit 1; }

say "nslookup stm32net.usb $DEV"
out=$(timeout 10 nslookup stm32net.usb "$DEV" 2>&1); echo "$out"
# The answer section follows the "Name:" line; the server's own address is above it.
R dns_a "$(echo "$out" | sed -n '/^Name:/,$ s/^Address:[ \t]*\([0-9.]*\)$/\1/p' | head -n1)"
out=$(timeout 10 nslookup stm32net "$DEV" 2>&1); echo "$out"
R dns_short "$(echo "$out" | sed -n '/^Name:/,$ s/^Address:[ \t]*\([0-9.]*\)$/\1/p' | head -n1)"
say "nslookup example.com $DEV (must be refused, never forwarded)"
out=$(timeout 10 nslookup example.com "$DEV" 2>&1); echo "$out"
R dns_outside "$(echo "$out" | grep -q REFUSED && echo REFUSED || echo other)"

printf 'nameserver %s\nsearch %s\n' "$(lease_get dns)" "$(lease_get domain)" > /etc/resolv.conf
cat /etc/resolv.conf
say "wget http://stm32net.usb/"
# the page is stored and served gzip-compressed (firmware/app/web.mk)
fetch http://stm32net.usb/ > /tmp/page.gz; rc=$?
page=$(gunzip -c /tmp/page.gz) || rc=gunzip
echo "$page" | head -c 600; echo
R http_name "$([ $rc -eq 0 ] && echo "$page" | grep -q 'id="time"' && echo ok || echo "fail:$rc")"

say "POST /api/led n=1&state=on"
out=$(fetch "http://$DEV/api/led" --post-data 'n=1&state=on'); rc=$?
echo "$out"
R led_post "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
st=$(fetch "http://$DEV/api/status"); rc=$?
echo "$st"
R status_hostname "$(echo "$st" | sed -n 's/.*"hostname":"\([^"]*\)".*/\1/p')"
R status_leds "$(echo "$st" | tr -d ' \n' | sed -n 's/.*"leds":\[\([^]]*\)\].*/\1/p')"
R status_class "$(echo "$st" | sed -n 's/.*"link":{[^}]*"class":"\([^"]*\)".*/\1/p')"
R status_presses "$(echo "$st" | tr -d ' \n' | sed -n 's/.*"button_presses":\([0-9]*\).*/\1/p')"

say "ping"
out=$(timeout 15 ping -c 2 -W 3 "$DEV" 2>&1); echo "$out"
R ping "$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\2\/\1/p')"
for sz in $PING_SIZES; do
  if [ "$sz" = frag ]; then
    # MTU 576 for one ping: 1400 bytes of payload leave as three fragments
    ip link set dev "$IFN" mtu 576
    R ping_frag_mtu "$(cat "/sys/class/net/$IFN/mtu")"
    out=$(timeout 15 ping -c 1 -W 3 -s 1400 "$DEV" 2>&1); echo "$out"
    ip link set dev "$IFN" mtu 1500
  else
    out=$(timeout 15 ping -c 1 -W 3 -s "$sz" "$DEV" 2>&1); echo "$out"
  fi
  R "ping_$sz" "$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\2\/\1/p')"
done
if [ "$USBDESC" = 1 ]; then
  say "usbdesc 1209:0001 (BOS + MS OS 2.0 set through usbfs)"
  usbdesc 1209:0001
fi

say "usbip port / detach"
out=$(timeout 10 usbip port 2>&1); echo "$out"
p=$(echo "$out" | sed -n 's/^Port \([0-9]*\):.*/\1/p' | head -n1)
p=${p#0}; p=${p:-0}
out=$(timeout 20 usbip detach -p "$p" 2>&1); rc=$?
echo "$out"
R detach "$([ $rc -eq 0 ] && echo ok || echo "fail:$rc")"
i=0
while [ $i -lt 100 ] && [ -e "/sys/class/net/$IFN" ]; do i=$((i + 1)); sleep 0.1; done
R iface_gone "$([ -e "/sys/class/net/$IFN" ] && echo no || echo yes)"
sleep 1   # let the simulator notice the closed connection and re-export

cycle 2 || { R abort cycle2; exit 1; }
st=$(fetch "http://$DEV/api/status"); rc=$?
echo "$st"
R http2 "$([ $rc -eq 0 ] && echo "$st" | grep -q '"uptime_ms"' && echo ok || echo "fail:$rc")"
R "done" yes
echo "GUEST dmesg tail"
dmesg | tail -n 25
