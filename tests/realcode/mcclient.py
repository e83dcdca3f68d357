#!/usr/bin/env python3
"""Drives a memcached server over TCP: CONNS connections in parallel, each
doing N set and N get of deterministic keys and values, checks every reply,
then (with --shutdown) sends the ascii "shutdown" command (server needs -A).
Prints a deterministic summary, so plain and profiled runs can be compared.
Usage: mcclient.py PORT N CONNS [--shutdown]"""
import socket, sys, threading, time

def connect(port, wait=10.0):
    end = time.time() + wait
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)

class Conn:
    def __init__(self, port):
        self.s = connect(port)
        self.buf = b""
    def send(self, data):
        self.s.sendall(data)
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed the connection")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed the connection")
            self.buf += d
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

def value(c, i):
    return (("v%d-%d-" % (c, i)) * (1 + (i * 7) % 40)).encode()

def work(port, c, n, res):
    k = Conn(port)
    stored = hits = bad = 0
    for i in range(n):
        v = value(c, i)
        k.send(b"set k%d-%d %d 0 %d\r\n%s\r\n" % (c, i, i % 65536, len(v), v))
        if k.line() == b"STORED":
            stored += 1
        else:
            bad += 1
    for i in range(n):
        k.send(b"get k%d-%d\r\n" % (c, i))
        h = k.line()
        if h.startswith(b"VALUE "):
            _, key, flags, ln = h.split()
            d = k.exact(int(ln) + 2)[:-2]
            if d == value(c, i) and int(flags) == i % 65536 and k.line() == b"END":
                hits += 1
            else:
                bad += 1
        else:
            bad += 1
    res[c] = (stored, hits, bad)

def main():
    port, n, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    res = {}
    ts = [threading.Thread(target=work, args=(port, c, n, res)) for c in range(conns)]
    for t in ts: t.start()
    for t in ts: t.join()
    for c in range(conns):
        print("conn %d: stored %d hits %d bad %d" % ((c,) + res.get(c, (0, 0, -1))))
    if "--shutdown" in sys.argv:
        k = Conn(port)
        k.send(b"shutdown\r\n")
        try:
            k.line()       # the server closes without a reply on success
        except (EOFError, OSError):
            pass
    ok = all(res.get(c, (0, 0, 1))[2] == 0 and res[c][0] == n and res[c][1] == n for c in range(conns))
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
