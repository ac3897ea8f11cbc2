#!/usr/bin/env python3
"""tests/fuzz/seeds.py - writes the seed corpora in tests/fuzz/corpus/<target>/
(small valid messages, one file each, in the input formats the targets'
headers describe). Run it again after changing a format: the files are
committed test inputs; reproducers of fixed crashes (crash-*, leak-*,
timeout-*) live next to them and are kept.

Usage: python3 tests/fuzz/seeds.py [corpus-dir]"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
DEV_IP = bytes([192, 168, 7, 1])
HOST_IP = bytes([192, 168, 7, 2])
HOST_MAC = bytes([0x02, 0x00, 0x00, 0x00, 0x10, 0x00])


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def rec(payload):
    return struct.pack(">H", len(payload)) + payload


# ---------------------------------------------------------------- DHCP
def dhcp_msg(mtype, chaddr=HOST_MAC, xid=0x12345678, ciaddr=b"\0" * 4, opts=b""):
    """RFC 2131 section 2 BOOTREQUEST with the RFC 2132 message type option."""
    m = struct.pack(">BBBBIHH", 1, 1, 6, 0, xid, 0, 0x8000)
    m += ciaddr + b"\0" * 12 + chaddr + b"\0" * 10 + b"\0" * 192
    m += bytes([99, 130, 83, 99])            # magic cookie
    m += bytes([53, 1, mtype]) + opts + bytes([255])
    return m


def dhcp_seeds():
    req_ip = bytes([50, 4]) + bytes([192, 168, 7, 2])
    server = bytes([54, 4]) + DEV_IP
    params = bytes([55, 4, 1, 3, 6, 15])
    host = bytes([12, 4]) + b"host"
    disc = dhcp_msg(1, opts=params + host)
    req = dhcp_msg(3, opts=req_ip + server + params)
    # record: flags, dt (s), len, payload
    write("dhcp", "discover", bytes([0, 0]) + rec(disc))
    write("dhcp", "discover-request", bytes([0, 0]) + rec(disc) + bytes([0, 1]) + rec(req))
    write("dhcp", "init-reboot", bytes([0, 0]) + rec(dhcp_msg(3, opts=req_ip)))
    write("dhcp", "renew-expire", bytes([0, 0]) + rec(disc) + bytes([0, 0]) + rec(req) +
          bytes([1, 200]) + rec(dhcp_msg(3, ciaddr=HOST_IP)) + bytes([0, 255]) + rec(disc))
    write("dhcp", "inform", bytes([1, 0]) + rec(dhcp_msg(8, ciaddr=HOST_IP, opts=params)))
    write("dhcp", "release", bytes([0, 0]) + rec(disc) + bytes([0, 0]) + rec(req) +
          bytes([1, 0]) + rec(dhcp_msg(7, ciaddr=HOST_IP, opts=server)))
    write("dhcp", "decline", bytes([0, 0]) + rec(disc) + bytes([0, 0]) +
          rec(dhcp_msg(4, opts=req_ip + server)))
    # a second client and a client id (option 61)
    write("dhcp", "two-clients", bytes([0, 0]) + rec(disc) + bytes([2, 0]) +
          rec(dhcp_msg(1, chaddr=bytes([2, 0, 0, 0, 0x10, 1]),
                       opts=bytes([61, 7, 1, 2, 0, 0, 0, 0x10, 1]))))


# ---------------------------------------------------------------- DNS
def dns_name(name):
    out = b""
    for label in name.split(".") if name else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(name, qtype=1, qclass=1, flags=0x0100, qid=0x4242, opcode=0, edns=None, qd=1):
    """RFC 1035 4.1.1 header + one question (+ an RFC 6891 OPT if edns)."""
    flags |= opcode << 11
    ar = 1 if edns is not None else 0
    m = struct.pack(">HHHHHH", qid, flags, qd, 0, 0, ar)
    m += dns_name(name) + struct.pack(">HH", qtype, qclass)
    if edns is not None:
        version, do = edns
        m += b"\0" + struct.pack(">HHBBHH", 41, 1232, 0, version, 0x8000 if do else 0, 0)
    return m


def dns_seeds():
    def one(name, q, room=255):
        # record: room/2, sport/16, len, message
        write("dns", name, bytes([room, 1]) + rec(q))
    one("a-fqdn", dns_query("stm32net.usb"))
    one("a-short", dns_query("stm32net"))
    one("a-mixed-case", dns_query("StM32NeT.UsB"))
    one("aaaa-nodata", dns_query("stm32net.usb", qtype=28))
    one("any", dns_query("stm32net.usb", qtype=255))
    one("apex", dns_query("usb", qtype=6))
    one("nxdomain", dns_query("nope.usb"))
    one("refused", dns_query("example.com"))
    one("root", dns_query(""))
    one("class-ch", dns_query("stm32net.usb", qclass=3))
    one("edns-do", dns_query("stm32net.usb", edns=(0, True)))
    one("edns-badvers", dns_query("stm32net.usb", edns=(1, False)))
    one("notimp", dns_query("stm32net.usb", opcode=2, edns=(0, False)))
    one("qdcount2", dns_query("stm32net.usb", qd=2))
    one("small-room", dns_query("stm32net.usb"), room=10)
    one("response", dns_query("stm32net.usb", flags=0x8180))
    write("dns", "three", bytes([255, 1]) + rec(dns_query("stm32net.usb")) + bytes([255, 2]) +
          rec(dns_query("x.usb")) + bytes([40, 3]) + rec(dns_query("stm32net", edns=(0, False))))


# ---------------------------------------------------------------- netif
DEV_MAC = b"\0" * 6          # fuzz_net puts the device's MAC here
BCAST = b"\xff" * 6


def eth(dst, ethertype, payload, src=HOST_MAC):
    return dst + src + struct.pack(">H", ethertype) + payload


def arp_request(target_ip=DEV_IP):
    """RFC 826 who-has from the host."""
    return eth(BCAST, 0x0806, struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + HOST_MAC + HOST_IP +
               b"\0" * 6 + target_ip)


def ipv4(proto, payload, src=HOST_IP, dst=DEV_IP, ident=1, frag=0):
    # length and checksums are filled in by fuzz_net's fix-up (flags bit0)
    return struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0) + \
        src + dst + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, flags, payload=b"", seq=1000, ack=0, opts=b""):
    doff = (20 + len(opts)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 4096, 0, 0) + opts + payload


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def frame(flags, dt, f):
    return bytes([flags, dt]) + rec(f)


def tcp_session(dport, data, port=40000):
    mss = bytes([2, 4, 0x02, 0x18])
    s = frame(1, 0, arp_request())
    s += frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, dport, SYN, opts=mss))))
    s += frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, dport, ACK))))
    s += frame(3, 1, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, dport, ACK | PSH, data))))
    s += frame(3, 1, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, dport, ACK))))
    s += frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, dport, ACK | FIN))))
    return s


def http_session(request, port=40000):
    # fix-ups: checksums (bit0) and, after the SYN, sequence numbers (bit1)
    mss = bytes([2, 4, 0x02, 0x18])
    s = frame(1, 0, arp_request())
    s += frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, 80, SYN, opts=mss))))
    s += frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, 80, ACK))))
    s += frame(3, 1, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, 80, ACK | PSH, request))))
    for _ in range(3):
        s += frame(3, 1, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, 80, ACK))))
    s += frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(port, 80, ACK | FIN))))
    return s


def net_seeds():
    write("net", "arp", frame(1, 0, arp_request()))
    write("net", "arp-other", frame(1, 0, arp_request(bytes([192, 168, 7, 9]))))
    ping = struct.pack(">BBHHH", 8, 0, 0, 7, 1) + b"ping" * 8
    write("net", "ping", frame(1, 0, arp_request()) + frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(1, ping))))
    write("net", "ping-bcast", frame(1, 0, eth(BCAST, 0x0800, ipv4(1, ping, dst=bytes([192, 168, 7, 255])))))
    # an echo request in two fragments (RFC 791 3.2: offset in 8-octet units)
    whole = ping + b"x" * 16
    write("net", "ping-fragments",
          frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(1, whole[:24], ident=9, frag=0x2000))) +
          frame(1, 5, eth(DEV_MAC, 0x0800, ipv4(1, whole[24:], ident=9, frag=3))))
    write("net", "dns", frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(17, udp(5000, 53, dns_query("stm32net.usb"))))))
    write("net", "dhcp", frame(1, 0, eth(BCAST, 0x0800, ipv4(17, udp(68, 67, dhcp_msg(1)),
                                                            src=b"\0" * 4, dst=b"\xff" * 4))))
    q = dns_query("stm32net.usb")
    write("net", "dns-tcp", tcp_session(53, struct.pack(">H", len(q)) + q))   # RFC 7766 length prefix
    mq = dns_query("stm32net.local", flags=0, qid=0)
    write("net", "mdns", eth(bytes([1, 0, 0x5e, 0, 0, 0xfb]), 0x0800,
                             ipv4(17, udp(5353, 5353, mq), dst=bytes([224, 0, 0, 251])))
          and frame(1, 0, eth(bytes([1, 0, 0x5e, 0, 0, 0xfb]), 0x0800,
                              ipv4(17, udp(5353, 5353, mq), dst=bytes([224, 0, 0, 251])))))
    write("net", "udp-closed", frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(17, udp(5000, 9999, b"hello")))))
    write("net", "tcp-closed", frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(40001, 81, SYN)))))
    write("net", "http-page", http_session(b"GET / HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n"))
    write("net", "http-status", http_session(b"GET /api/status HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n"))
    write("net", "http-info", http_session(b"GET /api/info HTTP/1.1\r\nHost: stm32net.usb\r\n\r\n"))
    write("net", "http-404", http_session(b"GET /nope HTTP/1.0\r\n\r\n"))
    write("net", "http-led", http_session(b"POST /api/led HTTP/1.1\r\nHost: 192.168.7.1\r\nContent-Length: 12\r\n"
                                          b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                                          b"n=1&state=on"))
    write("net", "http-time", http_session(b"POST /api/time HTTP/1.1\r\nHost: 192.168.7.1\r\nContent-Length: 16\r\n\r\n"
                                           b"epoch=1700000000"))
    # the cross-site POST check (http_srv.c): a same-origin POST with Origin before
    # Host, and one a foreign page's form would send
    write("net", "http-led-origin", http_session(b"POST /api/led HTTP/1.1\r\nOrigin: http://192.168.7.1\r\n"
                                                 b"Host: 192.168.7.1\r\nContent-Length: 12\r\n\r\nn=1&state=on"))
    write("net", "http-led-cross", http_session(b"POST /api/led HTTP/1.1\r\nHost: 192.168.7.1\r\n"
                                                b"Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n"
                                                b"Content-Length: 12\r\n\r\nn=1&state=on"))
    write("net", "http-get-led", http_session(b"GET /api/led HTTP/1.0\r\n\r\n"))
    write("net", "http-head", http_session(b"HEAD / HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n"))
    write("net", "http-no-host", http_session(b"GET /api/status HTTP/1.1\r\n\r\n"))
    # a connection the host resets half way
    s = http_session(b"GET / HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n")
    write("net", "http-rst", s[:s.index(b"GET")] + b"" +
          frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(40000, 80, RST | ACK)))))
    # link down and a blocked link while the device wants to answer
    write("net", "link-flaps", frame(1, 0, arp_request()) +
          frame(5, 3, eth(DEV_MAC, 0x0800, ipv4(1, ping))) + frame(9, 2, arp_request()))


# ---------------------------------------------------------------- USB + ECM
def setup(bm, req, value=0, index=0, length=0):
    return struct.pack("<BBHHH", bm, req, value, index, length)


def op_control(bm, req, value=0, index=0, length=0, data=b""):
    return bytes([1]) + setup(bm, req, value, index, length) + data


def enumerate_ops():
    """What a host does first (USB 2.0 9.1.2): descriptors, address, configuration."""
    s = bytes([4])
    s += op_control(0x80, 6, 0x0100, 0, 64)
    s += bytes([4]) + op_control(0x00, 5, 7)
    s += op_control(0x80, 6, 0x0100, 0, 18)
    s += op_control(0x80, 6, 0x0200, 0, 9) + op_control(0x80, 6, 0x0200, 0, 255)
    s += op_control(0x80, 6, 0x0300, 0, 255)
    for i in (1, 2, 3, 4):
        s += op_control(0x80, 6, 0x0300 | i, 0x0409, 255)
    s += op_control(0x00, 9, 1)
    return s


ALT1 = bytes([6, 1, 1, 1])
DRAIN = bytes([11])


def usb_seeds():
    e = enumerate_ops()
    write("usb", "enumerate", e)
    write("usb", "link-up", e + ALT1 + DRAIN)
    # ECM 1.2 6.2.4 SET_ETHERNET_PACKET_FILTER, 6.2.1 multicast filters, 6.2.5 statistics
    write("usb", "ecm-requests", e + ALT1 + op_control(0x21, 0x43, 0x001e, 0) +
          op_control(0x21, 0x40, 2, 0, 12, bytes([1, 0, 0x5e, 0, 0, 1, 1, 0, 0x5e, 0, 0, 0xfb])) +
          op_control(0xa1, 0x44, 1, 0, 4) + op_control(0x21, 0x41, 0, 0, 0) + DRAIN)
    frame = b"\xff" * 6 + HOST_MAC + b"\x08\x06" + bytes(range(46))
    big = bytes([0x02] * 6) + HOST_MAC + b"\x08\x00" + bytes(i & 0xff for i in range(1500))
    write("usb", "frames-out", e + ALT1 + DRAIN + bytes([7]) + rec(frame) + bytes([9]) +
          bytes([7]) + rec(big) + bytes([9]) + bytes([7]) + rec(big[:128]) + bytes([9]))
    write("usb", "frames-in", e + ALT1 + DRAIN + bytes([8]) + struct.pack(">H", 60) + DRAIN +
          bytes([8]) + struct.pack(">H", 1514) + bytes([8]) + struct.pack(">H", 64) + DRAIN + DRAIN)
    # standard requests on interfaces and endpoints (USB 2.0 9.4)
    write("usb", "std-requests", e + ALT1 + op_control(0x80, 0, 0, 0, 2) + op_control(0x81, 0, 0, 0, 2) +
          op_control(0x82, 0, 0, 0x82, 2) + op_control(0x02, 3, 0, 0x02) + op_control(0x82, 0, 0, 0x02, 2) +
          bytes([7]) + rec(frame) + op_control(0x02, 1, 0, 0x02) + op_control(0x81, 10, 0, 1, 1) +
          op_control(0x80, 8, 0, 0, 1) + op_control(0x00, 3, 1) + op_control(0x00, 1, 1) + DRAIN)
    # the data path changing under traffic: alt 0, reset, unplug mid-frame
    write("usb", "alt-flaps", e + ALT1 + bytes([7]) + rec(frame) + bytes([6, 1, 1, 0]) + bytes([9]) +
          ALT1 + bytes([2, 2, 64]) + big[:64] + bytes([4]) + e + ALT1 + bytes([8]) + struct.pack(">H", 300) +
          bytes([3, 2]) + bytes([5]) + DRAIN)
    write("usb", "raw-setup", bytes([4]) + bytes([0]) + setup(0x80, 6, 0x0200, 0, 255) +
          bytes([3, 0]) * 3 + bytes([2, 0, 0]) + bytes([0]) + setup(0x00, 5, 3) + bytes([3, 0]) +
          bytes([10, 5]))


# ---------------------------------------------------------------- CDC-NCM
def align4(x):
    return (x + 3) & ~3


def ntb16(datagrams, ndp_last=False, seq=0, ndp_len=None):
    """CDC NCM 1.0 3.2.1 NTH16 + 3.3.1 NDP16 ("NCM0", no CRC), datagrams at
    4-aligned offsets (wNdpOutDivisor 4). ndp_last=False: the NDP right after
    the header, the block ending after the last datagram (Linux cdc_ncm);
    True: datagrams first, the NDP at the end (Windows UsbNcm)."""
    ndp_len = ndp_len or max(16, 8 + 4 * (len(datagrams) + 1))
    at = 12 if ndp_last else align4(12 + ndp_len)
    body = bytearray(b"\0" * at)
    offs = []
    for d in datagrams:
        at = align4(len(body))
        body += b"\0" * (at - len(body))
        offs.append(at)
        body += d
    if ndp_last:
        ndp = align4(len(body))
        body += b"\0" * (ndp - len(body))
    else:
        ndp = 12
    entries = b"".join(struct.pack("<HH", o, len(d)) for o, d in zip(offs, datagrams))
    ndp_bytes = b"NCM0" + struct.pack("<HH", ndp_len, 0) + entries
    ndp_bytes += b"\0" * (ndp_len - len(ndp_bytes))
    if ndp_last:
        body += ndp_bytes
    else:
        body[12:12 + ndp_len] = ndp_bytes
    body[0:12] = b"NCMH" + struct.pack("<HHHH", 12, seq, len(body), ndp)
    return bytes(body)


def eth_frame(n, ethertype=0x0800, fill=0):
    """An Ethernet II frame of n bytes (IEEE 802.3 3.1.1) to the device."""
    return bytes([0x02] * 6) + HOST_MAC + struct.pack(">H", ethertype) + \
        bytes((fill + i) & 0xff for i in range(n - 14))


def ncm_arp():
    return arp_request()[:42] + b"\0" * 18   # padded to 60 as hosts send it


def ncm_ntb_seeds():
    w = lambda name, data: write("ncm_ntb", name, data)
    w("linux-one", ntb16([ncm_arp()]))
    w("windows-one", ntb16([ncm_arp()], ndp_last=True))
    w("linux-multi", ntb16([ncm_arp(), eth_frame(98), eth_frame(1514), eth_frame(14)]))
    w("windows-multi", ntb16([eth_frame(60), eth_frame(342, fill=7), eth_frame(61)], ndp_last=True))
    w("full-frame", ntb16([eth_frame(1514)], ndp_last=True))
    # Windows 11: a block that is a multiple of 64 followed by one 0 byte
    blk = ntb16([eth_frame(64 * 3 - 12 - 16)], ndp_last=True)
    assert len(blk) % 64 == 0, len(blk)
    w("win11-pad", blk + b"\0")
    # padding after the block (the transfer longer than wBlockLength), a
    # roomier NDP than needed (entries after the zero pair are ignored)
    w("tail-padding", ntb16([ncm_arp()]) + b"\0" * 20)
    w("ndp-roomy", ntb16([ncm_arp(), eth_frame(80)], ndp_len=32))
    # two NDPs chained by wNextNdpIndex (3.3.1)
    first = bytearray(ntb16([eth_frame(60), eth_frame(60, fill=1)], ndp_last=True))
    ndp2 = align4(len(first))
    first += b"NCM0" + struct.pack("<HH", 16, 0) + struct.pack("<HH", 12, 60) + b"\0" * 4
    ndp1 = struct.unpack("<H", first[10:12])[0]
    first[ndp1 + 6:ndp1 + 8] = struct.pack("<H", ndp2)   # wNextNdpIndex: the first NDP -> the second
    first[8:10] = struct.pack("<H", len(first))
    w("two-ndps", bytes(first))
    w("empty-ndp", ntb16([]))
    w("bad-signature", b"NCMX" + ntb16([ncm_arp()])[4:])


def ncm_setup_ops():
    """What Linux cdc_ncm and Windows UsbNcm ask an NCM function for (CDC NCM
    1.0 6.2, MS OS 2.0 via BOS), then alt 0 and alt 1 of the data interface."""
    s = enumerate_ops()
    s += op_control(0x80, 6, 0x0F00, 0, 5) + op_control(0x80, 6, 0x0F00, 0, 33)      # BOS
    s += op_control(0xC0, 0x20, 0, 7, 74)                        # MS OS 2.0 descriptor set
    s += op_control(0xC0, 0x20, 0, 8, 74)                        # another wIndex: STALL
    s += op_control(0xA1, 0x80, 0, 0, 28)                        # GET_NTB_PARAMETERS
    s += op_control(0xA1, 0x83, 0, 0, 2)                         # GET_NTB_FORMAT
    s += op_control(0xA1, 0x85, 0, 0, 4)                         # GET_NTB_INPUT_SIZE
    s += op_control(0x21, 0x86, 0, 0, 4, struct.pack("<I", 2048))  # SET_NTB_INPUT_SIZE
    s += op_control(0x21, 0x86, 0, 0, 4, struct.pack("<I", 1024))  # below 2048: STALL
    s += op_control(0x21, 0x43, 0x000e, 0)                       # SET_ETHERNET_PACKET_FILTER
    s += set_alt(0) + set_alt(1) + DRAIN
    return s


def set_alt(alt):
    """SET_INTERFACE on the data interface alone (op ALT reselects the
    configuration first, which already takes the link down)."""
    return op_control(0x01, 11, alt, 1)


def ncm_out(ntb, how=1):
    """op FRAME for usb_ncm: u16 len, u8 how (bit 0 ZLP, bit 1 Windows 11 pad)."""
    return bytes([7]) + struct.pack(">HB", len(ntb), how) + ntb


def usb_ncm_seeds():
    w = lambda name, data: write("usb_ncm", name, data)
    e = enumerate_ops()
    up = ncm_setup_ops()
    RX = bytes([9])
    w("enumerate", e)
    w("link-up", up)
    w("linux-ntbs", up + ncm_out(ntb16([ncm_arp()])) + RX + RX +
      ncm_out(ntb16([eth_frame(98), eth_frame(1514), eth_frame(60)])) + RX + RX + RX + RX)
    blk = ntb16([eth_frame(64 * 3 - 12 - 16)], ndp_last=True)
    w("windows-ntbs", up + ncm_out(ntb16([eth_frame(60), eth_frame(342)], ndp_last=True), how=0) +
      RX + RX + ncm_out(blk, how=2) + RX + ncm_out(ntb16([eth_frame(1514)], ndp_last=True), how=0) + RX)
    # IN: frames batched into one NTB, flushed by usbd_task (op TIME), drained
    w("in-ntbs", up + bytes([8]) + struct.pack(">H", 60) + bytes([8]) + struct.pack(">H", 342) +
      bytes([10, 1]) + DRAIN + bytes([8]) + struct.pack(">H", 1514) + bytes([10, 1]) + DRAIN +
      bytes([8]) + struct.pack(">H", 2048 - 12 - 64 - 4) + bytes([8, 0x80, 60]) + bytes([10, 1]) + DRAIN)
    # the data path changing under traffic (macOS: alt 1 -> 0 -> 1), reset, unplug
    w("alt-flaps", up + ncm_out(ntb16([ncm_arp(), ncm_arp()])) + RX + set_alt(0) + RX + DRAIN +
      set_alt(1) + bytes([8]) + struct.pack(">H", 100) + bytes([10, 1]) + bytes([3, 2]) + set_alt(1) +
      DRAIN + bytes([8]) + struct.pack(">H", 100) + bytes([10, 1]) + bytes([3, 2]) + ALT1 + DRAIN +
      bytes([4]) + up + bytes([2, 2, 64]) + ntb16([eth_frame(200)])[:64] + bytes([5]) + DRAIN)
    # malformed NTBs: dropped, counted, the endpoint keeps running
    bad = bytearray(ntb16([eth_frame(200)]))
    bad[16:20] = struct.pack("<HH", 12, 3000)
    w("bad-ntbs", up + ncm_out(b"NCMX" + ntb16([eth_frame(300)])[4:]) + ncm_out(bytes(bad)) +
      ncm_out(ntb16([ncm_arp()])) + RX)


# ---------------------------------------------------------------- USB/IP
# Linux Documentation/usb/usbip_protocol.rst: big-endian headers.
DEVID = (1 << 16) | 2


def op(code, body=b""):
    return struct.pack(">HHI", 0x0111, code, 0) + body


def submit(seq, direction, ep, length, setup_pkt=b"\0" * 8, data=b"", flags=0):
    return struct.pack(">IIIII", 1, seq, DEVID, direction, ep) + \
        struct.pack(">IiiiI", flags, length, 0, -1, 0) + setup_pkt + data


def unlink(seq, victim):
    return struct.pack(">IIIII", 2, seq, DEVID, 0, 0) + struct.pack(">I", victim) + b"\0" * 24


IMPORT = op(0x8003, b"1-1".ljust(32, b"\0"))


def ctrl_in(seq, bm, req, value, index, length):
    return submit(seq, 1, 0, length, setup(bm, req, value, index, length))


def ctrl_out(seq, bm, req, value, index, data=b""):
    return submit(seq, 0, 0, len(data), setup(bm, req, value, index, len(data)), data)


def usbip_write(name, *chunks):
    """Each chunk is written when the server has answered the one before."""
    write("usbip", name, b"".join(rec(c) for c in chunks))


def usbip_seeds():
    w = usbip_write
    w("devlist", op(0x8005))
    w("import", IMPORT)
    w("import-wrong-busid", op(0x8003, b"9-9".ljust(32, b"\0")))
    w("bad-version", struct.pack(">HHI", 0x0100, 0x8005, 0))
    w("descriptors", IMPORT, ctrl_in(1, 0x80, 6, 0x0100, 0, 18),
      ctrl_in(2, 0x80, 6, 0x0200, 0, 255) + ctrl_in(3, 0x80, 6, 0x0302, 0x0409, 255))
    frame = b"\xff" * 6 + HOST_MAC + b"\x08\x06" + bytes(range(46))
    up = [IMPORT, ctrl_out(1, 0x00, 9, 1, 0), ctrl_out(2, 0x01, 11, 1, 1)]
    w("data-path", *up, submit(3, 1, 1, 16) + submit(4, 1, 2, 1536),
      submit(5, 0, 2, len(frame), data=frame) + submit(6, 1, 2, 1536), submit(7, 1, 1, 16))
    w("unlink", *up, submit(3, 1, 2, 1536), unlink(4, 3) + unlink(5, 99))
    w("ecm-request", *up, ctrl_out(3, 0x21, 0x43, 0x000e, 0), ctrl_in(4, 0xa1, 0x44, 1, 0, 4),
      submit(5, 0, 2, 64, data=bytes(64), flags=0x40))
    w("stall-clear", *up, ctrl_out(3, 0x02, 3, 0, 0x82), submit(4, 1, 2, 64),
      ctrl_out(5, 0x02, 1, 0, 0x82), ctrl_out(6, 0x00, 9, 0, 0))
    w("devlist-then-import", op(0x8005), IMPORT)
    w("split-header", IMPORT[:5], IMPORT[5:] + ctrl_in(1, 0x80, 6, 0x0100, 0, 18)[:30],
      ctrl_in(1, 0x80, 6, 0x0100, 0, 18)[30:])


if __name__ == "__main__":
    net_seeds()
    usb_seeds()
    ncm_ntb_seeds()
    usb_ncm_seeds()
    usbip_seeds()
    dhcp_seeds()
    dns_seeds()
