#!/usr/bin/env bash
# End to end in TAP mode: the device's mDNS responder (RFC 6762) as real
# queriers see it - a raw legacy unicast query and a multicast query from
# port 5353 (python3 sockets), silence for a name that is not ours, then
# `avahi-resolve -4 -n stm32net.local` through a real avahi-daemon, and a
# name conflict: another responder holding stm32net.local makes the device
# take stm32net-2.local on its next link-up, which /api/status shows and
# avahi resolves.
# Layer: e2e test. Needs root, build/stm32net-sim, iproute2, python3, curl,
# jq, unshare, avahi-daemon + avahi-utils, dbus-daemon.
# Network: namespace stm32net-mdns-<pid>, deleted on exit; avahi runs in its
# own mount namespace (a tmpfs on /run/avahi-daemon, whose PID file would
# otherwise be shared with every other avahi on the machine) with a private
# system bus in the test's temp folder (TESTBED.md recipe).
set -euo pipefail
E2E_NAME=34-tap-mdns
source "$(dirname "$0")/lib.sh"

e2e_need_root
e2e_need ip python3 curl jq unshare avahi-daemon avahi-resolve dbus-daemon stdbuf timeout
e2e_need_sim
e2e_init

NS=stm32net-mdns-$$
SIM_LOG=$E2E_TMP/sim.log
DEV=192.168.7.1
HOST=192.168.7.2
e2e_netns_add "$NS"
nsx() { ip netns exec "$NS" "$@"; }

trap 'rc=$?; [ $rc -eq 0 ] && [ $E2E_BAD -eq 0 ] || { e2e_dump "simulator log" "$SIM_LOG";
  for f in "$E2E_TMP"/avahi.*.log; do [ -f "$f" ] && e2e_dump "avahi log" "$f"; done; }; e2e_cleanup' EXIT

e2e_tap_sim "$NS" "$SIM_LOG"
nsx ip addr add $HOST/24 dev tap0
nsx ip route add 224.0.0.0/4 dev tap0

# ------------------------------------------------------------ raw queries
cat >"$E2E_TMP/mdnsq.py" <<'EOF'
# mdnsq.py MODE NAME: one mDNS query from HOST, prints the answer it gets.
#   legacy:    from an ephemeral port (RFC 6762 6.7), expects a unicast reply
#   multicast: from port 5353, expects the multicast reply on the group
import socket, struct, sys, time
mode, name, host = sys.argv[1], sys.argv[2], sys.argv[3]
GROUP = "224.0.0.251"
def enc(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
def skip_name(m, p):
    while True:
        l = m[p]
        if l >= 0xC0: return p + 2
        if l == 0: return p + 1
        p += 1 + l
qid = 0x2B1D if mode == "legacy" else 0
query = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + enc(name) + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == "multicast":
    s.bind(("", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(GROUP) + socket.inet_aton(host))
else:
    s.bind((host, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(host))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.sendto(query, (GROUP, 5353))
end = time.time() + 2.0
while time.time() < end:
    s.settimeout(max(0.05, end - time.time()))
    try:
        m, (src, sport) = s.recvfrom(2048)
    except socket.timeout:
        break
    if len(m) < 12 or not (m[2] & 0x80):
        continue                      # our own query, looped back
    qd, an = struct.unpack(">HH", m[4:8])
    p = 12
    for _ in range(qd):
        p = skip_name(m, p) + 4
    p = skip_name(m, p)
    typ, cls, ttl, rdlen = struct.unpack(">HHIH", m[p:p + 10])
    ip = socket.inet_ntoa(m[p + 10:p + 14]) if typ == 1 and rdlen == 4 else "?"
    print("from=%s:%d id=%#x qd=%d an=%d class=%#x ttl=%d a=%s" % (src, sport,
          struct.unpack(">H", m[:2])[0], qd, an, cls, ttl, ip))
    sys.exit(0)
print("no answer")
EOF
# the device probes (0.75 s) and announces after link-up: give it that
for i in $(seq 30); do
  out=$(nsx timeout 5 python3 "$E2E_TMP/mdnsq.py" legacy stm32net.local $HOST 2>&1) || true
  [ "$out" != "no answer" ] && break
  sleep 0.2
done
e2e_expect "legacy unicast query (RFC 6762 6.7: unicast, its id, question repeated, TTL <= 10, no cache-flush)" \
  "from=$DEV:5353 id=0x2b1d qd=1 an=1 class=0x1 ttl=10 a=$DEV" "$out"
# One multicast answer per second per record (RFC 6762 6), and the second
# announcement (8.3) may still be due: a query that falls inside that second
# is rightly not answered, so ask again after the interval, a bounded few times.
for i in 1 2 3; do
  sleep 1.1
  out=$(nsx timeout 5 python3 "$E2E_TMP/mdnsq.py" multicast STM32NET.local $HOST 2>&1) || true
  [ "$out" != "no answer" ] && break
done
e2e_expect "multicast query (id 0, no question, cache-flush, TTL 120)" \
  "from=$DEV:5353 id=0x0 qd=0 an=1 class=0x8001 ttl=120 a=$DEV" "$out"
out=$(nsx timeout 5 python3 "$E2E_TMP/mdnsq.py" legacy nothere.local $HOST 2>&1) || true
e2e_expect "a name that is not ours" "no answer" "$out"
out=$(nsx timeout 5 python3 "$E2E_TMP/mdnsq.py" legacy stm32net.usb $HOST 2>&1) || true
e2e_expect "our unicast DNS name over mDNS" "no answer" "$out"

# ------------------------------------------------------------ avahi
# avahi.sh TMP NAME: in a fresh mount namespace, a private system bus and an
# avahi-daemon (querier only) on tap0; prints avahi-resolve's line for NAME.
cat >"$E2E_TMP/dbus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$E2E_TMP/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/> <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
cat >"$E2E_TMP/avahi.sh" <<'EOF'
set -u
T=$1; name=$2
mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon || exit 1
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus
dbus-daemon --config-file="$T/dbus.conf" --fork --print-pid >"$T/dbus.pid" || exit 1
cat >"$T/avahi.conf" <<CONF
[server]
host-name=e2e-querier
allow-interfaces=tap0
use-ipv4=yes
use-ipv6=no
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
disable-publishing=yes
CONF
# each run its own log: a second run must not see the first one's start-up line
log="$T/avahi.$$.log"
avahi-daemon -f "$T/avahi.conf" --no-drop-root --no-chroot --no-rlimits >"$log" 2>&1 &
ad=$!
for i in $(seq 50); do grep -q "Server startup complete" "$log" && break; sleep 0.1; done
timeout 10 avahi-resolve -4 -n "$name" 2>&1
kill "$ad" 2>/dev/null; kill "$(cat "$T/dbus.pid")" 2>/dev/null
wait 2>/dev/null
EOF
res=$(nsx timeout 40 unshare -m bash "$E2E_TMP/avahi.sh" "$E2E_TMP" stm32net.local 2>&1) || true
e2e_expect "avahi-resolve -4 -n stm32net.local" "stm32net.local	$DEV" "$(grep -v '^$' <<<"$res" | tail -n1)"
status=$(nsx curl -sS -m 5 http://$DEV/api/status 2>&1) || true
e2e_expect "/api/status mdns_name" stm32net.local "$(jq -r .mdns_name <<<"$status" 2>/dev/null)"

# ------------------------------------------------------------ conflict
# Another host holds stm32net.local (as an RFC 6762 responder does: it
# answers every query for the name with its record); the device's link goes
# down and up (a replug): it probes, meets the other record (8.1) and takes
# the next name (9). The holder is a few lines of python3: avahi-publish
# cannot claim the name while the device defends it, nor hold it across the
# device's link-up without probing against it again.
cat >"$E2E_TMP/holder.py" <<'EOF'
import socket, struct, sys, time
host, secs = sys.argv[1], float(sys.argv[2])
GROUP = "224.0.0.251"
NAME = b"\x08stm32net\x05local\x00"
rec = NAME + struct.pack(">HHIH", 1, 0x8001, 120, 4) + socket.inet_aton(host)
resp = struct.pack(">HHHHHH", 0, 0x8400, 0, 1, 0, 0) + rec
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(host))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(host))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
print("holding", flush=True)
end = time.time() + secs
n = 0
while time.time() < end:
    s.settimeout(max(0.05, end - time.time()))
    try:
        m, src = s.recvfrom(2048)
    except socket.timeout:
        break
    except OSError:
        time.sleep(0.05)   # the link is down for a moment
        continue
    if len(m) > 12 and not (m[2] & 0x80) and NAME in m[12:].lower():
        try:
            s.sendto(resp, (GROUP, 5353))
            n += 1
        except OSError:
            pass
print("answered %d queries for stm32net.local" % n, flush=True)
EOF
nsx timeout 30 python3 "$E2E_TMP/holder.py" $HOST 6 >"$E2E_TMP/holder.out" 2>&1 &
HOLD_PID=$!
e2e_track_pid "$HOLD_PID"
for i in $(seq 50); do grep -q holding "$E2E_TMP/holder.out" && break; sleep 0.1; done
nsx ip link set tap0 down
sleep 0.3
nsx ip link set tap0 up
nsx ip route replace 224.0.0.0/4 dev tap0
name=""
for i in $(seq 50); do
  name=$(nsx curl -sS -m 2 http://$DEV/api/status 2>/dev/null | jq -r .mdns_name 2>/dev/null) || true
  [ "$name" = stm32net-2.local ] && break
  sleep 0.2
done
e2e_expect "name after the conflict (/api/status mdns_name)" stm32net-2.local "$name"
wait "$HOLD_PID" || true
grep -Eq '^answered [1-9]' "$E2E_TMP/holder.out" && e2e_ok "the other responder saw the device's probe: $(tail -n1 "$E2E_TMP/holder.out")" ||
  e2e_no "the other responder: $(cat "$E2E_TMP/holder.out")"
res=$(nsx timeout 40 unshare -m bash "$E2E_TMP/avahi.sh" "$E2E_TMP" stm32net-2.local 2>&1) || true
e2e_expect "avahi-resolve -4 -n stm32net-2.local" "stm32net-2.local	$DEV" "$(grep -v '^$' <<<"$res" | tail -n1)"
out=$(nsx timeout 5 python3 "$E2E_TMP/mdnsq.py" legacy stm32net.local $HOST 2>&1) || true
e2e_expect "the old name is not answered any more" "no answer" "$out"

[ "$E2E_BAD" -eq 0 ] || e2e_fail "see FAIL lines above"
e2e_log PASS
