#!/usr/bin/python3
"""A seeded, impairing L2 forwarder between veths (loss, reordering, duplication).

    l2_forwarder.py --client IF --server IF [--server IF ...]
                    --loss P --reorder P --duplicate P --seed S

Reads every port with an AF_PACKET socket and forwards like a learning bridge:
a frame from the client port goes to the server port that owns its
destination MAC (all server ports while unknown), a frame from a server port
goes to the client port. Frames the kernel shows as PACKET_OUTGOING (our own
sends) are ignored. IPv4 TCP frames but SYNs are impaired, per direction with its own
random.Random(seed, direction): with probability P each, a frame is dropped,
held back until 1 to 3 later frames of its direction have gone (or 2 ms have
passed), or sent twice. Other frames (ARP) pass untouched.

Prints `ready` once the sockets are bound, and at SIGINT/SIGTERM one JSON line
with the counts per direction (to_server, to_client: in, dropped, reordered,
duplicated, out) and the frames each socket lost before we read them
(PACKET_STATISTICS tp_drops), then exits 0.
"""

import argparse
import json
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
HOLD_MAX_S = 0.002
RCVBUF = 16 << 20

stop = False


def _request_stop(signum, frame):
    global stop
    stop = True


def impairable(frame):
    """IPv4 TCP without SYN (as lossy.LOSSY_FRAMES: a lost SYN costs a 1 s timeout)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return False
    flags_at = 14 + (frame[14] & 0x0F) * 4 + 13
    return len(frame) > flags_at and not frame[flags_at] & 0x02


class Direction:
    """Impairs the frames of one direction; counts what it did."""

    def __init__(self, name, seed, loss, reorder, duplicate):
        self.rng = random.Random(f"{seed}/{name}")
        self.loss, self.reorder, self.duplicate = loss, reorder, duplicate
        self.held = []  # [frames still to pass, deadline, frame, out sockets]
        self.counts = dict(in_=0, dropped=0, reordered=0, duplicated=0, out=0)

    def forward(self, frame, outs):
        self.counts["in_"] += 1
        if impairable(frame):
            r = self.rng.random()
            if r < self.loss:
                self.counts["dropped"] += 1
                return
            if r < self.loss + self.reorder:
                self.counts["reordered"] += 1
                self.held.append([self.rng.randint(1, 3), time.monotonic() + HOLD_MAX_S, frame, outs])
                return
            if r < self.loss + self.reorder + self.duplicate:
                self.counts["duplicated"] += 1
                self._send(frame, outs)
        self._send(frame, outs)
        self._release(passed=1)

    def _send(self, frame, outs):
        for s in outs:
            try:
                s.send(frame)
                self.counts["out"] += 1
            except OSError:
                self.counts.setdefault("send_errors", 0)
                self.counts["send_errors"] += 1

    def _release(self, passed=0, now=None):
        """Sends the held frames whose turn came (after `passed` more frames, or their deadline)."""
        keep = []
        for h in self.held:
            h[0] -= passed
            if h[0] <= 0 or (now is not None and now >= h[1]):
                self._send(h[2], h[3])
            else:
                keep.append(h)
        self.held = keep

    def flush_due(self, now):
        if self.held:
            self._release(now=now)

    def report(self):
        c = dict(self.counts)
        c["in"] = c.pop("in_")
        return c


def packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, 33, RCVBUF)  # SO_RCVBUFFORCE (root)
    s.bind((ifname, ETH_P_ALL))
    s.setblocking(False)
    return s


def socket_drops(s):
    _packets, drops = struct.unpack("II", s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    return drops


def parse_args(argv):
    p = argparse.ArgumentParser(prog="l2_forwarder.py")
    p.add_argument("--client", required=True)
    p.add_argument("--server", action="append", required=True)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--duplicate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    client = packet_socket(a.client)
    servers = {name: packet_socket(name) for name in a.server}
    ports = {client.fileno(): (a.client, client)} | {s.fileno(): (n, s) for n, s in servers.items()}
    to_server = Direction("to_server", a.seed, a.loss, a.reorder, a.duplicate)
    to_client = Direction("to_client", a.seed, a.loss, a.reorder, a.duplicate)
    owner = {}  # MAC -> server socket (learned from the frames' source)
    poller = select.poll()
    for fd in ports:
        poller.register(fd, select.POLLIN)
    print("ready", flush=True)
    while not stop:
        try:
            events = poller.poll(1 if to_server.held or to_client.held else 200)
        except InterruptedError:
            continue
        for fd, _ in events:
            _name, s = ports[fd]
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                if s is client:
                    known = owner.get(frame[0:6])
                    to_server.forward(frame, [known] if known else list(servers.values()))
                else:
                    owner[frame[6:12]] = s
                    to_client.forward(frame, [client])
        now = time.monotonic()
        to_server.flush_due(now)
        to_client.flush_due(now)
    report = {"to_server": to_server.report(), "to_client": to_client.report(),
              "socket_drops": {name: socket_drops(s) for _fd, (name, s) in ports.items()}}
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
