#!/usr/bin/env bash
# 20-usbip-robustness.sh - the USB/IP server under hostile input, then normal
# use. Starts the simulator on a free loopback port and, with a small Python
# client speaking the protocol byte by byte:
#  - garbage, truncated headers, wrong version, unknown OP and command codes,
#    an absurd transfer length, a wrong devid, an ISO URB, too many
#    connections: each closes only that connection, the process keeps serving;
#  - a half-closed DEVLIST request still gets its whole reply; a table full of
#    idle connections does not lock out a new client (the oldest idle goes);
#  - Debian's `usbip list -r` shows the device (VID:PID 1209:0001);
#  - a normal import behaves like vhci_hcd expects: descriptors over ep0,
#    SET_CONFIGURATION/SET_INTERFACE, DEV_BUSY for a second import, DEVLIST
#    still served, an IN URB with nothing to send stays pending until
#    CMD_UNLINK (-ECONNRESET, no RET_SUBMIT), an ARP request over bulk OUT is
#    answered over bulk IN, 40 OUT URBs in one write (more than the server's
#    32 slots) all complete, 2000 unlinks streamed faster than they are read
#    all get RET_UNLINK, and after the connection closes a new import works.
# Talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIM=build/stm32net-sim
[ -x "$SIM" ] || { echo "20-usbip-robustness: $SIM missing (run make sim)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "20-usbip-robustness: python3 missing" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "20-usbip-robustness: FAIL: $*" >&2
  echo "--- simulator stderr (last 30 lines)" >&2; tail -n 30 "$tmp/sim.err" >&2 || true
  exit 1
}

"$SIM" --listen 127.0.0.1:0 >"$tmp/sim.out" 2>"$tmp/sim.err" &
pid=$!
port=""
for _ in $(seq 1 100); do
  line=$(head -n 1 "$tmp/sim.out" 2>/dev/null || true)
  if [[ "$line" =~ on\ 127\.0\.0\.1:([0-9]+)\  ]]; then port=${BASH_REMATCH[1]}; break; fi
  kill -0 "$pid" 2>/dev/null || fail "simulator died at start"
  sleep 0.1
done
[ -n "$port" ] || fail "no start line within 10 s"

alive() { kill -0 "$pid" 2>/dev/null || fail "simulator died ($1)"; }

# ---- hostile input: every case must end with the server closing that connection
timeout 60 python3 - "$port" <<'PY' || fail "hostile input checks"
import socket, struct, sys, time
port = int(sys.argv[1])

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def closed_by_server(s, what, timeout=5.0):
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return
    except ConnectionResetError:
        return
    except socket.timeout:
        sys.exit(f"{what}: server did not close the connection")

def import_dev(s, busid=b"1-1"):
    s.sendall(struct.pack(">HHI", 0x0111, 0x8003, 0) + busid.ljust(32, b"\0"))
    hdr = recvn(s, 8)
    ver, code, status = struct.unpack(">HHI", hdr)
    assert (ver, code) == (0x0111, 0x0003), hdr.hex()
    if status == 0:
        recvn(s, 312)
    return status

def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError(f"connection closed after {len(b)} of {n} bytes")
        b += d
    return b

def submit(seq, ep, direction, tbl, setup=b"\0" * 8, devid=0x00010002, flags=0, npk=0):
    return struct.pack(">IIIIIIIiII8s", 1, seq, devid, direction, ep, flags, tbl, 0, npk, 0, setup)

cases = {
    "http garbage": [b"GET / HTTP/1.0\r\n\r\n"],
    "binary garbage": [bytes((i * 37 + 11) & 0xFF for i in range(4096))],
    "wrong version": [struct.pack(">HHI", 0x0106, 0x8005, 0)],
    "unknown op code": [struct.pack(">HHI", 0x0111, 0x8099, 0)],
    "reply code as request": [struct.pack(">HHI", 0x0111, 0x0005, 0)],
    "nonzero status in request": [struct.pack(">HHI", 0x0111, 0x8005, 7)],
}
for name, chunks in cases.items():
    s = conn()
    for c in chunks:
        try:
            s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            pass
    closed_by_server(s, name)
    s.close()
    print("closed:", name)

# truncated headers, sent in pieces and then abandoned: the server must just wait
for piece in (struct.pack(">HHI", 0x0111, 0x8005, 0)[:5],
              (struct.pack(">HHI", 0x0111, 0x8003, 0) + b"1-1")[:20]):
    s = conn()
    for b in piece:
        s.send(bytes([b]))
        time.sleep(0.005)
    s.close()
print("truncated requests abandoned")

# a request split into single bytes still works
s = conn()
req = struct.pack(">HHI", 0x0111, 0x8005, 0)
for b in req:
    s.send(bytes([b])); time.sleep(0.01)
ver, code, status, ndev = struct.unpack(">HHII", recvn(s, 12))
assert (ver, code, status, ndev) == (0x0111, 5, 0, 1), (ver, code, status, ndev)
s.close()
print("byte-wise DEVLIST ok")

# unknown busid -> status 1, only the 8-byte header
s = conn()
assert import_dev(s, b"9-9") == 1
closed_by_server(s, "unknown busid")
print("unknown busid refused")

# URB-phase attacks, each after a successful import
urb_cases = {
    "absurd length": submit(1, 2, 0, 0x7FFFFFF0),
    "length above limit": submit(1, 2, 0, 1 << 20),
    "unknown command": struct.pack(">IIIII", 9, 1, 0x00010002, 0, 0) + b"\0" * 28,
    "wrong devid": submit(1, 2, 1, 64, devid=0x00030004),
    "iso urb": submit(1, 2, 1, 64, npk=3),
    "bad direction": struct.pack(">IIIII", 1, 1, 0x00010002, 7, 2) + b"\0" * 28,
    "bad endpoint": struct.pack(">IIIII", 1, 1, 0x00010002, 1, 99) + b"\0" * 28,
}
for name, msg in urb_cases.items():
    s = conn()
    st = import_dev(s)
    assert st == 0, f"import before '{name}': status {st}"
    s.sendall(msg[:20])
    time.sleep(0.02)
    try:
        s.sendall(msg[20:])
    except (BrokenPipeError, ConnectionResetError):
        pass
    closed_by_server(s, name)
    s.close()
    time.sleep(0.05)   # the server sees the close and unplugs the device
    print("closed after import:", name)

# too many connections at once: each new one replaces the oldest idle one
held = [conn() for _ in range(8)]
time.sleep(0.3)
for s in held:
    s.close()
print("connection flood survived")

devlist_req = struct.pack(">HHI", 0x0111, 0x8005, 0)

# shutdown(SHUT_WR) right after the request: the whole reply, then EOF
s = conn()
s.sendall(devlist_req)
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
rep = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    rep += d
s.close()
# op header, one 312-byte device record, 4 bytes per interface (CDC comm + data, DFU)
assert len(rep) == 12 + 312 + 3 * 4, f"half-closed DEVLIST got {len(rep)} bytes"
print("half-closed DEVLIST answered")

# four idle connections (the whole table) must not lock out a new client
idle = [conn() for _ in range(4)]
time.sleep(0.3)
s = conn()
s.sendall(devlist_req)
ver, code, status, ndev = struct.unpack(">HHII", recvn(s, 12))
assert (ver, code, status, ndev) == (0x0111, 5, 0, 1), (ver, code, status, ndev)
s.close()
closed_by_server(idle[0], "oldest idle connection")
for i in idle:
    i.close()
print("full table of idle connections: the oldest made room")
PY
alive "hostile input"

# ---- Debian's usbip client lists the device
timeout 20 usbip --tcp-port "$port" list -r 127.0.0.1 >"$tmp/list" 2>&1 || fail "usbip list -r failed: $(cat "$tmp/list")"
cat "$tmp/list"
grep -q '1-1: .*(1209:0001)' "$tmp/list" || fail "usbip list -r does not show 1-1 (1209:0001)"
grep -q '(02/06/00)' "$tmp/list" || fail "no CDC ECM interface (02/06/00) in the list"
grep -q '(0a/00/00)' "$tmp/list" || fail "no CDC data interface (0a/00/00) in the list"
alive "usbip list"

# ---- a normal import, the way vhci_hcd drives the device
timeout 60 python3 - "$port" <<'PY' || fail "normal attach"
import socket, struct, sys, time
port = int(sys.argv[1])
DEVID = 0x00010002

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def recvn(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError(f"connection closed after {len(b)} of {n} bytes")
        b += d
    return b

def import_dev(s, busid=b"1-1"):
    s.sendall(struct.pack(">HHI", 0x0111, 0x8003, 0) + busid.ljust(32, b"\0"))
    ver, code, status = struct.unpack(">HHI", recvn(s, 8))
    assert (ver, code) == (0x0111, 3)
    rec = recvn(s, 312) if status == 0 else b""
    return status, rec

seq = 0
dirs = {}       # seqnum -> direction of our URBs
stash = {}      # RETs that arrived while waiting for another one

def submit(s, ep, direction, tbl, setup=b"\0" * 8, data=b"", flags=0):
    global seq
    seq += 1
    dirs[seq] = direction
    s.sendall(struct.pack(">IIIIIIIIII8s", 1, seq, DEVID, direction, ep, flags, tbl, 0, 0, 0, setup) + data)
    return seq

def read_one(s, timeout):
    """One RET_SUBMIT/RET_UNLINK: (kind, seqnum, status, actual, data)."""
    s.settimeout(timeout)
    h = recvn(s, 48)
    cmd, sq = struct.unpack(">II", h[:8])
    if cmd == 3:
        status, actual = struct.unpack(">iI", h[20:28])
        assert sq in dirs, f"RET_SUBMIT for unknown seqnum {sq}"
        body = recvn(s, actual) if dirs[sq] == 1 else b""
        return ("submit", sq, status, actual, body)
    assert cmd == 4, f"unexpected command {cmd}"
    status, = struct.unpack(">i", h[20:24])
    return ("unlink", sq, status, 0, b"")

def wait_for(s, sq, timeout=5.0):
    deadline = time.time() + timeout
    while sq not in stash:
        left = deadline - time.time()
        if left <= 0:
            raise TimeoutError(f"no reply for seqnum {sq}")
        r = read_one(s, left)
        stash[r[1]] = r
    return stash.pop(sq)

def control(s, setup, tbl, data=b""):
    direction = 1 if setup[0] & 0x80 else 0
    sq = submit(s, 0, direction, tbl, setup, data)
    kind, rsq, status, actual, body = wait_for(s, sq)
    assert kind == "submit", kind
    return status, actual, body

def setup_pkt(bm, req, val, idx, length):
    return struct.pack("<BBHHH", bm, req, val, idx, length)

a = conn()
status, rec = import_dev(a)
assert status == 0, status
assert len(rec) == 312
busid = rec[256:288]
assert busid == b"1-1".ljust(32, b"\0"), busid          # echoed byte for byte
busnum, devnum, speed = struct.unpack(">III", rec[288:300])
vid, pid_, bcd = struct.unpack(">HHH", rec[300:306])
assert (busnum << 16 | devnum) == DEVID and speed == 2, (busnum, devnum, speed)
assert (vid, pid_) == (0x1209, 0x0001), (hex(vid), hex(pid_))
assert rec[311] == 3, rec[311]                          # bNumInterfaces: CDC comm + data, DFU
print("import ok: 1209:0001, full speed, busid echoed")

# a second import while attached -> DEV_BUSY; DEVLIST keeps working
b = conn()
st, _ = import_dev(b)
assert st == 2, f"second import: status {st}, expected 2 (DEV_BUSY)"
b.close()
c = conn()
c.sendall(struct.pack(">HHI", 0x0111, 0x8005, 0))
ver, code, st, ndev = struct.unpack(">HHII", recvn(c, 12))
assert (code, st, ndev) == (5, 0, 1)
recvn(c, 312 + 2 * 4)
c.close()
print("second import DEV_BUSY, devlist still served")

# enumeration as usbcore does it (vhci did SET_ADDRESS itself)
st, n, d = control(a, setup_pkt(0x80, 6, 0x0100, 0, 64), 64)
assert st == 0 and n == 18 and d[0] == 18 and d[1] == 1, (st, n, d.hex())
assert d[7] == 64 and struct.unpack("<HH", d[8:12]) == (0x1209, 0x0001)
st, n, d = control(a, setup_pkt(0x80, 6, 0x0200, 0, 9), 9)
assert st == 0 and n == 9 and d[1] == 2, (st, n, d.hex())
total = struct.unpack("<H", d[2:4])[0]
st, n, cfg = control(a, setup_pkt(0x80, 6, 0x0200, 0, total), total)
assert st == 0 and n == total, (st, n, total)
# a string that does not exist -> STALL -> -EPIPE, and ep0 works again after it
st, n, _ = control(a, setup_pkt(0x80, 6, 0x0363, 0x0409, 255), 255)
assert st == -32, f"missing string: status {st}, expected -32"
st, n, d = control(a, setup_pkt(0x80, 6, 0x0300, 0, 255), 255)
assert st == 0 and n >= 4 and d[1] == 3, (st, n)
st, _, _ = control(a, setup_pkt(0x00, 9, 1, 0, 0), 0)       # SET_CONFIGURATION 1
assert st == 0, f"SET_CONFIGURATION: {st}"
st, _, _ = control(a, setup_pkt(0x01, 11, 1, 1, 0), 0)      # SET_INTERFACE data itf alt 1
assert st == 0, f"SET_INTERFACE: {st}"
print(f"enumerated: config {total} bytes, configured, data interface alt 1")

# usbnet style: rx URBs queued on bulk IN. Frames the device sends on its own
# (link-up announcements) complete them; once it is quiet, an IN URB with
# nothing to send stays pending - never answered empty.
pend = None
for _ in range(10):
    sq = submit(a, 2, 1, 1536)
    try:
        kind, rsq, st, actual, body = wait_for(a, sq, timeout=1.0)
    except (TimeoutError, socket.timeout):
        pend = sq
        break
    assert st == 0 and actual > 0, f"IN URB answered empty/with error: {st} {actual}"
    print(f"device sent a {actual}-byte frame on its own")
assert pend is not None, "bulk IN never became idle"
# ... while ep0 keeps working (GET_STATUS device)
st, n, d = control(a, setup_pkt(0x80, 0, 0, 0, 2), 2)
assert st == 0 and n == 2, (st, n)
# interrupt URB: the NetworkConnection / speed notifications (CDC ECM 1.2 6.3)
notes = []
for _ in range(2):
    sq = submit(a, 1, 1, 16)
    kind, rsq, st, actual, body = wait_for(a, sq)
    assert kind == "submit" and st == 0, (kind, st)
    notes.append(body)
assert any(n_[0] == 0xA1 and n_[1] == 0x00 and n_[2] == 1 for n_ in notes), [x.hex() for x in notes]
print("notifications:", [x.hex() for x in notes])
assert pend not in stash, "pending IN URB was answered"

# CMD_UNLINK of the pending URB: RET_UNLINK with the unlink's own seqnum, -ECONNRESET
seq += 1
unl = seq
a.sendall(struct.pack(">IIIIII", 2, unl, DEVID, 1, 2, pend) + b"\0" * 24)
kind, rsq, st, _, _ = wait_for(a, unl)
assert (kind, st) == ("unlink", -104), (kind, rsq, st)
# unlink of an unknown seqnum -> status 0
seq += 1
a.sendall(struct.pack(">IIIIII", 2, seq, DEVID, 1, 2, 999999) + b"\0" * 24)
kind, rsq, st, _, _ = wait_for(a, seq)
assert (kind, st) == ("unlink", 0), (kind, rsq, st)
print("unlink: pending -> -104, unknown -> 0")

# ARP who-has 192.168.7.1 over bulk OUT (ZERO_PACKET flag on a 64-byte frame);
# the answer comes back over bulk IN
host_mac = bytes.fromhex("02aabbccddee")
arp = (b"\xff" * 6 + host_mac + b"\x08\x06" +
       struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + host_mac + bytes([192, 168, 7, 2]) +
       b"\0" * 6 + bytes([192, 168, 7, 1]))
arp = arp.ljust(64, b"\0")
rx = [submit(a, 2, 1, 1536) for _ in range(4)]
tx = submit(a, 2, 0, len(arp), data=arp, flags=0x40)
kind, rsq, st, actual, _ = wait_for(a, tx)
assert kind == "submit" and st == 0 and actual == 64, (kind, st, actual)
reply = None
for sq in rx:
    try:
        kind, rsq, st, actual, body = wait_for(a, sq, timeout=3.0)
    except (TimeoutError, socket.timeout):
        break
    assert st == 0 and actual > 0, (st, actual)
    if len(body) >= 42 and body[12:14] == b"\x08\x06" and body[20:22] == b"\x00\x02":
        reply = body
        break
assert pend not in stash, "the unlinked URB got a RET_SUBMIT"
assert reply is not None, "no ARP reply"
assert reply[0:6] == host_mac and reply[28:32] == bytes([192, 168, 7, 1]), reply.hex()
print("ARP over bulk OUT/IN answered by", reply[6:12].hex())

# 40 OUT URBs in one write, more than the server's 32 URB slots: the rest
# wait in the socket (backpressure), all complete, the connection stays.
# Frames use the IEEE local experimental EtherType 0x88B5: the device drops them.
junk = (b"\xff" * 6 + host_mac + b"\x88\xb5").ljust(60, b"\0")
batch, outs = b"", []
for _ in range(40):
    seq += 1
    dirs[seq] = 0
    outs.append(seq)
    batch += struct.pack(">IIIIIIIIII8s", 1, seq, DEVID, 0, 2, 0, len(junk), 0, 0, 0, b"\0" * 8) + junk
a.sendall(batch)
for sq in outs:
    kind, rsq, st, actual, _ = wait_for(a, sq)
    assert (kind, st, actual) == ("submit", 0, 60), (kind, rsq, st, actual)
print("40 OUT URBs in one write completed")

# 2000 unlinks (unknown seqnums) streamed by a sender thread while this one
# reads: every one answered, in order, the connection stays
import threading
first = seq + 1
stream = b"".join(struct.pack(">IIIIII", 2, first + i, DEVID, 1, 2, 0x70000000 + i) + b"\0" * 24
                  for i in range(2000))
seq += 2000
sender = threading.Thread(target=a.sendall, args=(stream,))
sender.start()
a.settimeout(10)
for i in range(2000):
    h = recvn(a, 48)
    cmd, sq = struct.unpack(">II", h[:8])
    if cmd == 3:                        # a still-pending rx URB may complete in between
        actual, = struct.unpack(">I", h[24:28])
        recvn(a, actual)
        h = recvn(a, 48)
        cmd, sq = struct.unpack(">II", h[:8])
    st, = struct.unpack(">i", h[20:24])
    assert (cmd, sq, st) == (4, first + i, 0), (cmd, sq, first + i, st)
sender.join(10)
assert not sender.is_alive()
print("2000 streamed unlinks answered")
a.close()

# after the connection closed the device is free again: import + descriptor works
time.sleep(0.2)
a = conn()
status, rec = import_dev(a)
assert status == 0, f"re-import: status {status}"
st, n, d = control(a, setup_pkt(0x80, 6, 0x0100, 0, 18), 18)
assert st == 0 and n == 18, (st, n)
a.close()
print("re-import after close ok")
PY
alive "normal attach"

kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=""
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
n_closed=$(grep -c 'closing:' "$tmp/sim.err" || true)
echo "server logged $n_closed closed connections"
[ "$n_closed" -ge 10 ] || fail "expected a log line per closed hostile connection"
echo "20-usbip-robustness: PASS"
