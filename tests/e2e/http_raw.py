#!/usr/bin/env python3
"""http_raw.py - HTTP requests as real clients split and end them, over a
plain TCP socket (python3 standard library), for tests/e2e/37-http-clients.sh.

Layer: e2e helper. Usage: http_raw.py HOST CASE ; prints "HTTP <key> <value>".
Cases:
  segmented  a ~1 KB GET head (cookies) sent in 7-byte pieces with pauses
  nohost     HTTP/1.1 without Host
  absolute   GET http://HOST/api/status HTTP/1.1
  close      an error reply while the client keeps sending: it must end with
             FIN (recv() == b""), not RST (ConnectionResetError)
  slow       half a request, then silence: 408 within HTTP_SRV_REQ_TIMEOUT_MS
Bounded: socket timeouts of a few seconds.
"""
import socket
import sys
import time


def conn(host):
    s = socket.create_connection((host, 80), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s):
    data = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return data, "fin"
            data += d
    except ConnectionResetError:
        return data, "rst"
    except socket.timeout:
        return data, "timeout"


def status(data):
    try:
        return data.split(b" ", 2)[1].decode()
    except IndexError:
        return "none"


def main():
    host, case = sys.argv[1], sys.argv[2]
    s = conn(host)
    if case == "segmented":
        head = b"GET /api/status HTTP/1.1\r\nHost: " + host.encode() + b"\r\nCookie: "
        head += b"c" * (1024 - len(head) - 4) + b"\r\n\r\n"
        print("HTTP head_len %d" % len(head))
        for i in range(0, len(head), 7):
            s.send(head[i:i + 7])
            time.sleep(0.002)
        data, end = read_all(s)
        print("HTTP status %s" % status(data))
        print("HTTP json %d" % int(b'"hostname"' in data))
    elif case == "nohost":
        s.sendall(b"GET /api/status HTTP/1.1\r\nAccept: */*\r\n\r\n")
        data, end = read_all(s)
        print("HTTP status %s" % status(data))
    elif case == "absolute":
        s.sendall(b"GET http://" + host.encode() + b"/api/status HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n")
        data, end = read_all(s)
        print("HTTP status %s" % status(data))
        print("HTTP json %d" % int(b'"hostname"' in data))
    elif case == "close":
        # a body announced but the method is unknown: 501 comes before the body
        s.sendall(b"BREW /pot HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n")
        time.sleep(0.3)
        for _ in range(3):
            try:
                s.sendall(b"b" * 1000)
            except (BrokenPipeError, ConnectionResetError):
                print("HTTP send_error 1")
                break
            time.sleep(0.05)
        data, end = read_all(s)
        print("HTTP status %s" % status(data))
        print("HTTP end %s" % end)
    elif case == "slow":
        t0 = time.time()
        s.sendall(b"GET / HTTP/1.1\r\n")
        data, end = read_all(s)
        print("HTTP status %s" % status(data))
        print("HTTP after_ms %d" % int((time.time() - t0) * 1000))
        print("HTTP end %s" % end)
    s.close()


if __name__ == "__main__":
    main()
