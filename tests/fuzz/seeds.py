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
    write("net", "udp-closed", frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(17, udp(5000, 9999, b"hello")))))
    write("net", "tcp-closed", frame(1, 0, arp_request()) +
          frame(1, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(40001, 81, SYN)))))
    write("net", "http-page", http_session(b"GET / HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n"))
    write("net", "http-status", http_session(b"GET /api/status HTTP/1.1\r\n\r\n"))
    write("net", "http-404", http_session(b"GET /nope HTTP/1.0\r\n\r\n"))
    write("net", "http-led", http_session(b"POST /api/led HTTP/1.1\r\nContent-Length: 12\r\n"
                                          b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                                          b"n=1&state=on"))
    write("net", "http-time", http_session(b"POST /api/time HTTP/1.1\r\nContent-Length: 16\r\n\r\n"
                                           b"epoch=1700000000"))
    write("net", "http-get-led", http_session(b"GET /api/led HTTP/1.0\r\n\r\n"))
    # a connection the host resets half way
    s = http_session(b"GET / HTTP/1.1\r\n\r\n")
    write("net", "http-rst", s[:s.index(b"GET")] + b"" +
          frame(3, 0, eth(DEV_MAC, 0x0800, ipv4(6, tcp(40000, 80, RST | ACK)))))
    # link down and a blocked link while the device wants to answer
    write("net", "link-flaps", frame(1, 0, arp_request()) +
          frame(5, 3, eth(DEV_MAC, 0x0800, ipv4(1, ping))) + frame(9, 2, arp_request()))


if __name__ == "__main__":
    net_seeds()
    dhcp_seeds()
    dns_seeds()
