#!/usr/bin/python3
"""A TCP echo server on Linux's stack: the Linux side of lossy_side_by_side.

    linux_echo.py --ip IP --port PORT

One thread per connection: recv_into a 256 KiB buffer, sendall it back; at the
client's FIN, shutdown(SHUT_WR) (our FIN once everything is echoed), then
close. All of TCP (windows, SACK, RACK, tail probes, RTOs) is the kernel's;
Python only copies, one system call per 256 KiB at most, which keeps up with
a 20 MiB echo over a veth in a fraction of a second. (socat is no good here:
with EXEC:cat or PIPE its single thread blocks writing to the echo pipe while
that pipe waits for socat to read, and a large echo stalls after a few MiB.)
"""

import argparse
import signal
import socket
import sys
import threading

BUF = 256 * 1024


def echo(conn):
    buf = bytearray(BUF)
    view = memoryview(buf)
    with conn:
        try:
            while True:
                n = conn.recv_into(buf)
                if n == 0:
                    conn.shutdown(socket.SHUT_WR)
                    return
                conn.sendall(view[:n])
        except OSError:
            return


def main(argv):
    p = argparse.ArgumentParser(prog="linux_echo.py")
    p.add_argument("--ip", required=True)
    p.add_argument("--port", type=int, default=80)
    a = p.parse_args(argv)
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.create_server((a.ip, a.port), reuse_port=False)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
