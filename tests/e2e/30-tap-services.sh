#!/usr/bin/env bash
# End to end in TAP mode: the simulator's lwIP stack sits behind tap0 in a
# network namespace of its own; the test is the host on the other side of the
# link and checks the DHCP, DNS and HTTP services byte for byte as a client
# sees them, then reads the simulator's pcap back with tcpdump.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, busybox (udhcpc),
# dig (dnsutils), curl, jq, tcpdump.
# Network: everything happens inside namespace stm32net-tap-<pid>, deleted on
# exit; nothing leaves it (the device offers no router and we add none).
set -euo pipefail
E2E_NAME=30-tap-services
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip busybox dig curl jq tcpdump stdbuf timeout
e2e_need_sim
e2e_init

NS=stm32net-tap-$$
SIM_LOG=$E2E_TMP/sim.log
PCAP=$E2E_TMP/link.pcap
DEV=192.168.7.1
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }

bad=0
ok() { printf '  ok    %s\n' "$*"; }
no() { printf '  FAIL  %s\n' "$*"; bad=1; }
expect() {  # name expected actual
  if [ "$2" = "$3" ]; then ok "$1: $3"; else no "$1: got \"$3\", expected \"$2\""; fi
}
on_fail() {
  [ "$bad" -eq 0 ] && return 0
  e2e_dump "simulator log" "$SIM_LOG"
}
trap 'rc=$?; [ $rc -eq 0 ] || { bad=1; on_fail; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG" --pcap "$PCAP" --verbose

# ------------------------------------------------------------------ DHCP
e2e_udhcpc_script "$E2E_TMP/udhcpc.sh"
dhcp_out=$(nsx timeout 30 busybox udhcpc -i tap0 -s "$E2E_TMP/udhcpc.sh" -n -q -t 5 -T 2 -f 2>&1) ||
  { echo "$dhcp_out"; no "udhcpc got no lease"; exit 1; }
echo "$dhcp_out" | sed 's/^/    /'
lease() { sed -n "s/^LEASE $1 //p" <<<"$dhcp_out" | tail -n1; }
expect "lease ip" 192.168.7.2 "$(lease ip)"
expect "lease subnet mask" 255.255.255.0 "$(lease subnet)"
expect "lease dns" $DEV "$(lease dns)"
expect "lease domain" usb "$(lease domain)"
expect "lease router (none offered)" none "$(lease router)"
expect "lease server id" $DEV "$(lease serverid)"
nsx ip -4 addr show dev tap0 | grep -q "inet $(lease ip)/24 " && ok "tap0 has $(lease ip)/24" ||
  no "tap0 was not configured from the lease"

# ------------------------------------------------------------------ DNS
# q NAME TYPE -> full dig output in $dq
q() { dq=$(nsx dig @"$DEV" +tries=1 +time=3 "$1" "$2" 2>&1) || true; }
dstatus() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$dq" | head -n1; }
dflags() { sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$dq" | head -n1; }
danswer() {  # "NAME TTL CLASS TYPE DATA" lines of the answer section, whitespace squeezed
  awk '/^;; ANSWER SECTION:/{a=1; next} a && /^$/{a=0} a' <<<"$dq" | tr -s ' \t' ' '
}
dcount() { sed -n "s/.*$1: \([0-9]*\).*/\1/p" <<<"$dq" | head -n1; }
has_flag() { [[ " $(dflags) " == *" $1 "* ]]; }

q stm32net.usb A
expect "dns stm32net.usb A status" NOERROR "$(dstatus)"
expect "dns stm32net.usb A answer" "stm32net.usb. IN A 192.168.7.1" "$(danswer | awk '{print $1, $3, $4, $5}')"
has_flag aa && ok "dns stm32net.usb A has the aa flag" || { no "dns A: no aa flag ($(dflags))"; echo "$dq"; }
has_flag qr && ok "dns response has qr" || no "dns A: no qr flag"

q stm32net A
expect "dns stm32net (bare) A answer" 192.168.7.1 "$(danswer | awk '{print $5}')"

q STM32NET.USB A
expect "dns STM32NET.USB A status" NOERROR "$(dstatus)"
expect "dns STM32NET.USB A address" 192.168.7.1 "$(danswer | awk '{print $5}')"

q stm32net.usb AAAA
expect "dns stm32net.usb AAAA status" NOERROR "$(dstatus)"
expect "dns stm32net.usb AAAA answers" 0 "$(dcount ANSWER)"

q other.usb A
expect "dns other.usb status" NXDOMAIN "$(dstatus)"
has_flag aa && ok "dns other.usb NXDOMAIN is authoritative (aa)" || no "dns other.usb: no aa flag"

q example.com A
expect "dns example.com status (outside the zone)" REFUSED "$(dstatus)"
expect "dns example.com answers" 0 "$(dcount ANSWER)"

# ------------------------------------------------------------------ HTTP
URL=http://$DEV
# hc METHOD PATH [curl args] -> status code in $code, body in $E2E_TMP/body
hc() {
  local m=$1 p=$2; shift 2
  code=$(nsx curl -sS -m 10 -o "$E2E_TMP/body" -w '%{http_code}' -X "$m" "$@" "$URL$p" 2>"$E2E_TMP/curl.err") ||
    code="curl-error:$(tr '\n' ' ' < "$E2E_TMP/curl.err")"
}

hc GET / --compressed   # the page is stored gzip-compressed (web.mk)
expect "GET / status" 200 "$code"
grep -q 'id="time"' "$E2E_TMP/body" && ok 'GET / has an element id="time"' || no 'GET / lacks id="time"'

hc GET /api/status
expect "GET /api/status status" 200 "$code"
if jq -e '(.hostname == "stm32net")
          and (.uptime_ms | type == "number") and (.uptime_ms >= 0)
          and (.time | type == "string") and (.time | length > 0)
          and (.leds | type == "array") and (.leds | length == 4) and (.leds == [0,0,0,0])
          and (.button | type == "number")
          and (.link | type == "object")' "$E2E_TMP/body" >/dev/null 2>&1; then
  ok "GET /api/status JSON fields: $(tr -d '\n' < "$E2E_TMP/body" | head -c 200)"
else
  no "GET /api/status JSON invalid or fields wrong: $(head -c 400 "$E2E_TMP/body")"
fi
up1=$(jq -r '.uptime_ms' "$E2E_TMP/body" 2>/dev/null || echo 0)
# /api/info: a simulator start is a power-on and no fault (no fault_pc); its
# stack is the host's (no figure)
code=$(nsx curl -sS -m 10 -o "$E2E_TMP/info" -w '%{http_code}' "$URL/api/info" 2>/dev/null) || code=curl-error
if [ "$code" = 200 ] && jq -e '(.reset == "power-on") and (has("fault_pc") | not) and has("stack_used") and (.stack_used == null)' \
     "$E2E_TMP/info" >/dev/null 2>&1; then
  ok "GET /api/info: reset power-on, no fault_pc, stack_used null"
else
  no "GET /api/info ($code) reset/fault_pc/stack_used: $(head -c 400 "$E2E_TMP/info" 2>/dev/null)"
fi

hc POST /api/led -d 'n=2&state=on'
expect "POST /api/led n=2&state=on status" 200 "$code"
hc GET /api/status
expect "leds after n=2 on" "[0,0,1,0]" "$(jq -c '.leds' "$E2E_TMP/body" 2>/dev/null)"
up2=$(jq -r '.uptime_ms' "$E2E_TMP/body" 2>/dev/null || echo 0)
[[ "$up1$up2" =~ ^[0-9]+$ ]] && [ "$up2" -ge "$up1" ] && ok "uptime_ms does not go back ($up1 -> $up2)" ||
  no "uptime_ms went from '$up1' to '$up2'"
hc POST /api/led -d 'n=2&state=toggle'
hc GET /api/status
expect "leds after n=2 toggle" "[0,0,0,0]" "$(jq -c '.leds' "$E2E_TMP/body" 2>/dev/null)"

hc GET /api/led
expect "GET /api/led (wrong method)" 405 "$code"
hc GET /nope
expect "GET /nope" 404 "$code"
hc POST /api/led -d 'n=9&state=on'
expect "POST n=9 (no such LED)" 400 "$code"
hc POST /api/led -d 'n=1&state=maybe'
expect "POST state=maybe" 400 "$code"
hc POST /api/led -d 'garbage'
expect "POST garbage body" 400 "$code"
hc GET /api/status
expect "leds unchanged by bad requests" "[0,0,0,0]" "$(jq -c '.leds' "$E2E_TMP/body" 2>/dev/null)"
# By now DHCP, DNS and a dozen HTTP exchanges crossed the link: the counters
# the page shows must have seen them (the link keeps them, in TAP mode too).
if jq -e '(.link.rx_frames > 20) and (.link.tx_frames > 20) and (.link.rx_dropped == 0) and (.link.tx_dropped == 0)' \
     "$E2E_TMP/body" >/dev/null 2>&1; then
  ok "link counters count the traffic: $(jq -c '.link' "$E2E_TMP/body")"
else
  no "link counters do not reflect the traffic: $(jq -c '.link' "$E2E_TMP/body" 2>/dev/null)"
fi

# POST /api/bootloader (issue 12): refused without confirm=yes; with it the
# answer arrives, then the firmware enters the "ROM bootloader": the
# simulator logs that and stops by itself with status 0.
hc POST /api/bootloader -d 'confirm=no'
expect "POST /api/bootloader without confirm=yes" 400 "$code"
hc POST /api/bootloader -d 'confirm=yes'
expect "POST /api/bootloader confirm=yes" 200 "$code"
expect "bootloader answer" '{"bootloader":true,"in_ms":500}' "$(jq -c . "$E2E_TMP/body" 2>/dev/null)"
for _ in $(seq 50); do kill -0 "$E2E_SIM_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$E2E_SIM_PID" 2>/dev/null; then
  no "simulator still running 5 s after POST /api/bootloader"
  e2e_stop_pid "$E2E_SIM_PID" 5
else
  src=0; wait "$E2E_SIM_PID" || src=$?
  expect "simulator exit status after POST /api/bootloader" 0 "$src"
fi
grep -q 'enter the ROM DFU bootloader' "$SIM_LOG" && ok "simulator logged the bootloader entry" ||
  no "simulator did not log the bootloader entry"

# ------------------------------------------------------------------ pcap
if [ -s "$PCAP" ]; then
  dump=$(tcpdump -r "$PCAP" -nn -A 2>&1 || true)
  summary=$(tcpdump -r "$PCAP" -nn 2>&1 || true)
  head -n 12 <<<"$summary" | sed 's/^/    /'   # no pipe from echo: head may exit first (SIGPIPE, 141)
  echo "    ... $(wc -l <<<"$summary") packets"
  pc() {  # description ERE
    if grep -Eq -- "$2" <<<"$1"; then ok "pcap: $3"; else no "pcap: no $3"; fi
  }
  pc "$summary" '\.68 > 255\.255\.255\.255\.67: BOOTP/DHCP, Request' "DHCP request from the client"
  pc "$summary" '192\.168\.7\.1\.67 > [0-9.]+\.68: BOOTP/DHCP, Reply' "DHCP reply from the device"
  pc "$summary" '> 192\.168\.7\.1\.53: .* A\? stm32net\.usb\.' "DNS query for stm32net.usb"
  pc "$summary" '192\.168\.7\.1\.53 > [0-9.]+: .*\*.* A 192\.168\.7\.1' "authoritative DNS answer 192.168.7.1"
  pc "$summary" '192\.168\.7\.1\.53 > .* Refused' "DNS REFUSED answer"
  pc "$summary" '192\.168\.7\.1\.53 > .* NXDomain' "DNS NXDOMAIN answer"
  pc "$dump" 'GET /api/status HTTP/1\.[01]' "HTTP GET /api/status"
  pc "$dump" 'POST /api/led HTTP/1\.[01]' "HTTP POST /api/led"
  pc "$dump" 'HTTP/1\.[01] 200' "HTTP 200 response"
  pc "$dump" 'HTTP/1\.[01] 404' "HTTP 404 response"
else
  no "pcap file $PCAP is empty or missing"
fi

[ "$bad" -eq 0 ] || e2e_fail "see FAIL lines above"
e2e_log PASS
