#!/usr/bin/env bash
# End to end in TAP mode: the DNS server as strict resolvers and tools see
# it - the zone's SOA with negative answers (RFC 2308 3), SOA and NS at the
# apex, DNS over TCP (RFC 7766) with dig/kdig and raw sockets (pipelined
# queries, an oversized length, the idle timeout), a query over 512 octets
# (EDNS padding, RFC 7830), BADVERS.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, dig (dnsutils),
# kdig (knot-dnsutils), python3, busybox (ping), tcpdump (failure report).
# Network: everything happens inside namespace stm32net-dns-<pid>, deleted on
# exit; the host side gets the static address 192.168.7.2/24.
set -euo pipefail
E2E_NAME=32-tap-dns
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip busybox dig kdig python3 tcpdump stdbuf timeout
e2e_need_sim
e2e_init

NS=stm32net-dns-$$
SIM_LOG=$E2E_TMP/sim.log
DEV=192.168.7.1
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }

trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || { e2e_dump "simulator log" "$SIM_LOG";
  tcpdump -nn -r "$E2E_TMP/link.pcap" 2>/dev/null | head -n 40; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG" --pcap "$E2E_TMP/link.pcap"
nsx ip addr add 192.168.7.2/24 dev tap0
# Ready when the device answers on the link (ARP + ICMP; the first frames
# after link-up race the simulator's link check under load); every DNS check
# below is then a single try.
for i in $(seq 10); do nsx busybox ping -c 1 -W 1 "$DEV" >/dev/null 2>&1 && break; done

# A raw TCP client (python3, stdlib only): sends what the mode says and
# prints what came back, bounded in time.
cat >"$E2E_TMP/tcpdns.py" <<'EOF'
import socket, struct, sys, time
mode, host = sys.argv[1], sys.argv[2]
def query(qid, name, qtype=1):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)
def read_msg(s):
    buf = b""
    while len(buf) < 2:
        c = s.recv(2 - len(buf))
        if not c: return None
        buf += c
    n = struct.unpack(">H", buf)[0]; body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c: return None
        body += c
    return body
s = socket.create_connection((host, 53), timeout=15)
if mode == "pipeline":
    # three queries in one write: three answers, in order (RFC 7766 6.2.1.1)
    data = b"".join(struct.pack(">H", len(m)) + m for m in
                    (query(1, "stm32net.usb"), query(2, "nope.usb"), query(3, "usb", 6)))
    s.sendall(data)
    for _ in range(3):
        r = read_msg(s)
        print("id=%d rcode=%d an=%d ns=%d" % (struct.unpack(">H", r[:2])[0], r[3] & 15,
              struct.unpack(">H", r[6:8])[0], struct.unpack(">H", r[8:10])[0]))
elif mode == "oversized":
    # a length of 4000 octets with only the header sent: FORMERR now, not a hang
    t0 = time.time()
    s.sendall(struct.pack(">H", 4000) + query(9, "stm32net.usb")[:12])
    r = read_msg(s)
    print("id=%d rcode=%d after %.1f s" % (struct.unpack(">H", r[:2])[0], r[3] & 15, time.time() - t0))
    # the rest of that message is dropped; the connection still answers
    s.sendall(b"\0" * (4000 - 12))
    m = query(10, "stm32net.usb")
    s.sendall(struct.pack(">H", len(m)) + m)
    r = read_msg(s)
    print("then id=%d rcode=%d an=%d" % (struct.unpack(">H", r[:2])[0], r[3] & 15,
          struct.unpack(">H", r[6:8])[0]))
elif mode == "idle":
    # connect and say nothing: the device closes the connection (RFC 7766 6.2.3)
    t0 = time.time()
    try:
        c = s.recv(1)
        print("closed after %.0f s (%s)" % (time.time() - t0, "FIN" if c == b"" else "data?"))
    except socket.timeout:
        print("still open after %.0f s" % (time.time() - t0))
    except ConnectionResetError:
        print("closed after %.0f s (RST)" % (time.time() - t0))
EOF
# dq ARGS... -> full dig output in $dq
dq() { dq=$(nsx dig @"$DEV" +tries=1 +time=3 "$@" 2>&1) || true; }
dstatus() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$dq" | head -n1; }
section() {  # NAME: "NAME TTL CLASS TYPE DATA" lines of that section, whitespace squeezed
  awk -v s=";; $1 SECTION:" '$0 == s {a=1; next} a && /^$/{a=0} a' <<<"$dq" | tr -s ' \t' ' '
}

# ------------------------------------------------------- apex SOA and NS
SOA="usb. 60 IN SOA stm32net.usb. hostmaster.usb. 1 3600 600 86400 60"
dq usb SOA
e2e_expect "SOA usb status" NOERROR "$(dstatus)"
e2e_expect "SOA usb answer" "$SOA" "$(section ANSWER)"
dq usb NS
e2e_expect "NS usb answer" "usb. 60 IN NS stm32net.usb." "$(section ANSWER)"
e2e_expect "NS usb glue" "stm32net.usb. 60 IN A 192.168.7.1" "$(section ADDITIONAL)"

# ------------------------------------------------ negative answers + SOA
dq other.usb A
e2e_expect "other.usb status" NXDOMAIN "$(dstatus)"
e2e_expect "other.usb authority (RFC 2308 3)" "$SOA" "$(section AUTHORITY)"
dq stm32net.usb AAAA
e2e_expect "stm32net.usb AAAA status (NODATA)" NOERROR "$(dstatus)"
e2e_expect "stm32net.usb AAAA answers" "" "$(section ANSWER)"
e2e_expect "stm32net.usb AAAA authority" "$SOA" "$(section AUTHORITY)"
dq usb MX
e2e_expect "usb MX (NODATA at the apex) authority" "$SOA" "$(section AUTHORITY)"
dq example.com A
e2e_expect "example.com status (not our zone)" REFUSED "$(dstatus)"
e2e_expect "example.com authority (none)" "" "$(section AUTHORITY)"

# ------------------------------------------------------------ over TCP
dq +tcp stm32net.usb A
e2e_expect "TCP stm32net.usb A" "stm32net.usb. 60 IN A 192.168.7.1" "$(section ANSWER)"
grep -q '(TCP)' <<<"$dq" && e2e_ok "dig used TCP" || e2e_no "dig did not report TCP: $(tail -n 5 <<<"$dq")"
dq +tcp other.usb A
e2e_expect "TCP other.usb status" NXDOMAIN "$(dstatus)"
e2e_expect "TCP other.usb authority" "$SOA" "$(section AUTHORITY)"
kq=$(nsx timeout 20 kdig @"$DEV" +tcp +keepopen +retry=0 +timeout=3 stm32net.usb A other.usb A usb SOA 2>&1) || true
e2e_expect "kdig +tcp +keepopen: three answers on one connection" 3 "$(grep -c '^;; Received' <<<"$kq")"
e2e_expect "kdig +tcp +keepopen: statuses" "NOERROR NXDOMAIN NOERROR" \
  "$(sed -n 's/.*status: \([A-Z]*\);.*/\1/p' <<<"$kq" | tr '\n' ' ' | sed 's/ $//')"
pl=$(nsx timeout 20 python3 "$E2E_TMP/tcpdns.py" pipeline $DEV 2>&1) || true
e2e_expect "pipelined queries answered in order" "id=1 rcode=0 an=1 ns=0|id=2 rcode=3 an=0 ns=1|id=3 rcode=0 an=1 ns=0" \
  "$(tr '\n' '|' <<<"$pl" | sed 's/|$//')"
ov=$(nsx timeout 20 python3 "$E2E_TMP/tcpdns.py" oversized $DEV 2>&1) || true
if grep -Eq '^id=9 rcode=1 after [0-2]\.[0-9] s$' <<<"$ov"; then e2e_ok "oversized TCP query: FORMERR at once ($(head -n1 <<<"$ov"))"
else e2e_no "oversized TCP query: $ov"; fi
e2e_expect "connection answers after the oversized message" "then id=10 rcode=0 an=1" "$(sed -n 2p <<<"$ov")"

# ------------------------------------------- over 512 octets, EDNS, BADVERS
kq=$(nsx timeout 10 kdig @"$DEV" +retry=0 +timeout=3 +padding=468 stm32net.usb A 2>&1) || true
grep -q 'status: NOERROR' <<<"$kq" && grep -Eq '^stm32net\.usb\.\s+60\s+IN\s+A\s+192\.168\.7\.1' <<<"$kq" &&
  e2e_ok "kdig +padding=468 (a 513-octet query) answered" || e2e_no "kdig +padding=468: $kq"
grep -q 'EDNS PSEUDOSECTION' <<<"$kq" && grep -q 'UDP size: 768 B' <<<"$kq" &&
  e2e_ok "reply to the padded query carries our OPT (UDP size 768)" || e2e_no "no OPT in: $kq"
kq=$(nsx timeout 10 kdig @"$DEV" +retry=0 +timeout=3 +padding=800 stm32net.usb A 2>&1) || true
grep -q 'status: FORMERR' <<<"$kq" && grep -q 'EDNS PSEUDOSECTION' <<<"$kq" &&
  e2e_ok "an 845-octet query: FORMERR with OPT (RFC 6891 7)" || e2e_no "kdig +padding=800: $kq"
dq +edns=1 +noednsnegotiation stm32net.usb A
e2e_expect "EDNS version 1" BADVERS "$(dstatus)"

# ------------------------------------------------------------ idle TCP
# last and alone: any new connection would replace the idle one (one at a time)
idle=$(nsx timeout 30 python3 "$E2E_TMP/tcpdns.py" idle $DEV 2>&1) || true
if [[ "$idle" =~ ^closed\ after\ ([0-9]+)\ s\ \(FIN\)$ ]] && [ "${BASH_REMATCH[1]}" -ge 9 ] && [ "${BASH_REMATCH[1]}" -le 13 ]; then
  e2e_ok "idle TCP connection closed by the device: $idle"
else
  e2e_no "idle TCP connection: $idle (expected a FIN after about 10 s)"
fi
dq stm32net.usb A
e2e_expect "still answering over UDP" "stm32net.usb. 60 IN A 192.168.7.1" "$(section ANSWER)"

[ "$E2E_BAD" -eq 0 ] || e2e_fail "see FAIL lines above"
e2e_log PASS
