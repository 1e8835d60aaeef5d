#!/usr/bin/python3
"""Opens N HTTP/1.1 keep-alive connections to a Linux server, completes one
request on each, then holds them idle: the Linux side of the "connections
held" case of bench/run.

usage: hold.py HOST PORT N SOURCE_IP[,SOURCE_IP...] HOLD_SECONDS

Prints "held N SECONDS" once every connection has its response (N counts the
ones that did), then holds them for HOLD_SECONDS and exits. Sources are used
in turn with IP_BIND_ADDRESS_NO_PORT, so each source address has its own
ephemeral port range (RFC 6056) towards the server.
"""

import resource
import selectors
import socket
import sys
import time

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h; not exported by Python's socket module
IN_FLIGHT = 512  # connects outstanding at once
TIMEOUT_S = 60
held = []  # the sockets kept open


def open_all(host, port, count, sources, sel):
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fptcp-bench-hold\r\n\r\n".encode()
    done, failed, started, pending = 0, 0, 0, 0
    deadline = time.monotonic() + TIMEOUT_S
    while done + failed < count and time.monotonic() < deadline:
        while started < count and pending < IN_FLIGHT:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            s.bind((sources[started % len(sources)], 0))
            s.setblocking(False)
            s.connect_ex((host, port))
            sel.register(s, selectors.EVENT_WRITE, "connecting")
            started += 1
            pending += 1
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            if key.data == "connecting":
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0 or s.send(request) != len(request):
                    sel.unregister(s)
                    s.close()
                    failed += 1
                    pending -= 1
                    continue
                sel.modify(s, selectors.EVENT_READ, "reading")
            else:
                data = s.recv(4096)
                sel.unregister(s)
                pending -= 1
                if data.startswith(b"HTTP/1.1 200"):
                    done += 1
                    held.append(s)
                else:
                    s.close()
                    failed += 1
    return done


def main():
    if len(sys.argv) != 6:
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        return 2
    host, port, count, sources, hold_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if count + 64 > hard:
        print(f"hold.py: {count} connections need more descriptors than the hard limit {hard}", file=sys.stderr)
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    start = time.monotonic()
    with selectors.EpollSelector() as sel:
        done = open_all(host, port, count, sources.split(","), sel)
    print(f"held {done} {time.monotonic() - start:.2f}", flush=True)
    time.sleep(hold_s)
    return 0 if done == count else 1


if __name__ == "__main__":
    sys.exit(main())
