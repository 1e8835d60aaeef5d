#!/usr/bin/python3
"""A Linux stand-in for fptcp-server, to prove the interop harness without fptcp.

It accepts the subset of fptcp-server's command line the interop tests use and
serves the same modes with the Linux TCP stack, from a second network
namespace so the topology seen by the clients is the same:

  --port af_packet:IFACE   IFACE (the root end veth-fp<N>) is moved into a new
                           namespace fptcp-srv-IFACE and given --ip there; it
                           is moved back to the caller's namespace at exit.
  --port tap:NAME          a veth pair NAME (root namespace, --kernel-ip) <->
                           NAME + "s" (namespace fptcp-srv-NAME, --ip): curl
                           from the root namespace reaches --ip as it would
                           reach fptcp on a TAP.

At exit (SIGINT/SIGTERM/--duration) it prints `fptcp-server: summary` and the
same keys as fptcp-server. Only connections_opened, connections_closed and
active are counted; the fptcp-only counters (time_wait, time_wait_reaped,
packets, retransmits, drops) are printed as 0, and `implementation:
linux-standin` tells the harness to skip assertions on them. --pcap runs
dumpcap on the interface. Options fptcp-specific (--msl, --lcores, --eal, ...)
are accepted and ignored.
"""

import argparse
import asyncio
import ipaddress
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

PROG = "linux-standin"
# Fault injection, to prove the harness catches a misbehaving server:
#   no-close          http: ignore `Connection: close` (never close first)
#   no-fin-after-eof  echo: after the client's FIN, never close our side
FAULT = os.environ.get("FPTCP_STANDIN_FAULT", "")


class Usage(Exception):
    pass


class ArgParser(argparse.ArgumentParser):
    def error(self, message):
        raise Usage(message)


def parse_args(argv):
    p = ArgParser(prog=PROG, add_help=True)
    p.add_argument("--port", default="tap:fptcp0")
    p.add_argument("--ip", default="10.70.0.2/24")
    p.add_argument("--kernel-ip", default="10.70.0.1/24")
    p.add_argument("--listen", type=int, default=80)
    p.add_argument("--mode", choices=("http", "echo", "discard", "source"), default="http")
    p.add_argument("--response-size", type=int, default=1024)
    p.add_argument("--source-bytes", type=int, default=0)
    p.add_argument("--duration", type=float, default=0)
    p.add_argument("--pcap")
    p.add_argument("--stats-json")
    p.add_argument("--quiet", action="store_true")
    # Active open (stand-in for examples/fptcp-fetch): GET --url with curl from
    # the server's namespace, body to --output, then exit.
    p.add_argument("--url")
    p.add_argument("--output")
    p.add_argument("--timeout", type=float, default=60)
    # fptcp-only options, accepted and ignored.
    for opt in ("--msl", "--lcores", "--max-connections", "--gateway", "--eal", "--config"):
        p.add_argument(opt)
    a = p.parse_args(argv)
    try:
        a.iface_addr = ipaddress.ip_interface(a.ip)
    except ValueError as e:
        raise Usage(f"--ip: {e}") from e
    kind, _, name = a.port.partition(":")
    if kind not in ("af_packet", "tap") or not name:
        raise Usage(f"--port {a.port}: the stand-in supports af_packet:IFACE and tap:NAME only")
    a.port_kind, a.port_name = kind, name
    if not 0 < a.listen < 65536 or a.response_size < 0 or a.source_bytes < 0:
        raise Usage("--listen, --response-size or --source-bytes out of range")
    return a


class Counters:
    def __init__(self):
        self.opened = 0
        self.closed = 0
        self.active = 0
        self.rx_bytes = 0
        self.tx_bytes = 0

    def summary(self):
        return {
            "implementation": "linux-standin",
            "connections_opened": self.opened,
            "connections_closed": self.closed,
            "active": self.active,
            "time_wait": 0,
            "time_wait_reaped": 0,
            "rx_packets": 0,
            "tx_packets": 0,
            "rx_bytes": self.rx_bytes,
            "tx_bytes": self.tx_bytes,
            "retransmits": 0,
            "drops": 0,
        }


# -- the servers ------------------------------------------------------------
class App:
    def __init__(self, args):
        self.args = args
        self.c = Counters()
        self.body = b"x" * args.response_size

    async def handle(self, reader, writer):
        self.c.opened += 1
        self.c.active += 1
        try:
            mode = self.args.mode
            if mode == "http":
                await self.http(reader, writer)
            elif mode == "echo":
                await self.echo(reader, writer)
            elif mode == "discard":
                await self.discard(reader)
            else:
                await self.source(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass
            self.c.active -= 1
            self.c.closed += 1

    async def http(self, reader, writer):
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed between requests
            self.c.rx_bytes += len(head)
            lines = head.decode("latin-1").split("\r\n")
            version = lines[0].rsplit(" ", 1)[-1].upper()
            headers = {}
            for line in lines[1:]:
                k, sep, v = line.partition(":")
                if sep:
                    headers[k.strip().lower()] = v.strip().lower()
            length = int(headers.get("content-length", "0") or 0)
            if length:
                self.c.rx_bytes += len(await reader.readexactly(length))
            conn = headers.get("connection", "")
            close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
            hdr = (f"HTTP/1.1 200 OK\r\nServer: fptcp-linux-standin\r\n"
                   f"Content-Type: application/octet-stream\r\nContent-Length: {len(self.body)}\r\n"
                   f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n").encode()
            writer.write(hdr + self.body)
            self.c.tx_bytes += len(hdr) + len(self.body)
            await writer.drain()
            if close and FAULT != "no-close":
                return  # the server closes first: TIME_WAIT lands on the server

    async def echo(self, reader, writer):
        while True:
            data = await reader.read(256 * 1024)
            if not data:
                if FAULT == "no-fin-after-eof":
                    await asyncio.sleep(3600)
                return  # peer FIN: everything before it was echoed; close our side
            self.c.rx_bytes += len(data)
            writer.write(data)
            self.c.tx_bytes += len(data)
            await writer.drain()

    async def discard(self, reader):
        while True:
            data = await reader.read(256 * 1024)
            if not data:
                return
            self.c.rx_bytes += len(data)

    async def source(self, writer):
        chunk = b"s" * 65536
        left = self.args.source_bytes
        while self.args.source_bytes == 0 or left > 0:
            part = chunk if self.args.source_bytes == 0 else chunk[:min(left, len(chunk))]
            writer.write(part)
            self.c.tx_bytes += len(part)
            left -= len(part)
            await writer.drain()


# -- the namespace around it -----------------------------------------------
class Topology:
    def __init__(self, args):
        self.a = args
        self.ns = netns.SERVER_NS_PREFIX + args.port_name
        self.dev = None
        self.dumpcap = None

    def up(self):
        a = self.a
        if netns.ns_exists(self.ns):
            netns.delete_ns(self.ns)
        netns.run(["ip", "netns", "add", self.ns])
        netns.write_owner(self.ns)
        ipn = ["ip", "-n", self.ns]
        if a.port_kind == "af_packet":
            if not netns.link_exists(a.port_name):
                raise RuntimeError(f"interface {a.port_name} does not exist")
            self.dev = a.port_name
            netns.run(["ip", "link", "set", "dev", self.dev, "netns", self.ns])
        else:
            self.dev = a.port_name + "s"
            netns.run(["ip", "link", "add", a.port_name, "type", "veth", "peer", "name", self.dev])
            netns.run(["ip", "link", "set", "dev", self.dev, "netns", self.ns])
            netns.quiet_root_end(a.port_name)
            netns.run(["sysctl", "-q", "-w", f"net.ipv6.conf.{a.port_name}.disable_ipv6=1"],
                      check=False)
            netns.disable_offloads(a.port_name)
            if a.kernel_ip != "none":
                netns.run(["ip", "addr", "add", a.kernel_ip, "dev", a.port_name])
            netns.run(["ip", "link", "set", "dev", a.port_name, "up"])
        netns.run(ipn + ["link", "set", "dev", "lo", "up"])
        netns.run(netns.ns_cmd(self.ns, ["sysctl", "-q", "-w",
                                         f"net.ipv6.conf.{self.dev}.disable_ipv6=1"]), check=False)
        netns.run(ipn + ["addr", "add", str(a.iface_addr), "dev", self.dev])
        netns.disable_offloads(self.dev, ns=self.ns)
        netns.run(ipn + ["link", "set", "dev", self.dev, "up"])
        if a.pcap:
            self._start_capture()

    def _start_capture(self):
        if not shutil.which("dumpcap"):
            print(f"{PROG}: dumpcap not found, --pcap ignored", file=sys.stderr)
            return
        self.dumpcap = subprocess.Popen(
            netns.ns_cmd(self.ns, ["dumpcap", "-q", "-i", self.dev, "-w", self.a.pcap]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # dumpcap says "Capturing on '...'" once the capture runs.
        deadline = time.monotonic() + 10
        line = b""
        while time.monotonic() < deadline and b"Capturing on" not in line:
            line = self.dumpcap.stderr.readline()
            if not line and self.dumpcap.poll() is not None:
                raise RuntimeError("dumpcap failed to start")

    def listening_socket(self):
        with netns.entered(self.ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((str(self.a.iface_addr.ip), self.a.listen))
        s.listen(4096)
        s.setblocking(False)
        return s

    def down(self):
        if self.dumpcap and self.dumpcap.poll() is None:
            self.dumpcap.send_signal(signal.SIGINT)
            try:
                self.dumpcap.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.dumpcap.kill()
                self.dumpcap.wait()
        if self.a.port_kind == "af_packet" and self.dev and netns.link_exists(self.dev, self.ns):
            # Give the interface back, down and without address, as we found it.
            netns.run(["ip", "-n", self.ns, "link", "set", "dev", self.dev, "netns",
                       str(os.getpid())], check=False)
            netns.run(["ip", "link", "set", "dev", self.dev, "up"], check=False)
        netns.delete_ns(self.ns)
        if self.a.port_kind == "tap":
            netns.delete_link(self.a.port_name)


async def serve(args, topo):
    app = App(args)
    sock = topo.listening_socket()
    server = await asyncio.start_server(app.handle, sock=sock, backlog=4096, limit=1 << 20)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if _stop_requested:
        stop.set()
    if args.duration > 0:
        loop.call_later(args.duration, stop.set)
    t0 = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except asyncio.TimeoutError:
            if not args.quiet:
                print(f"t={int(time.monotonic() - t0)}s conn/s=0 active={app.c.active} time_wait=0 "
                      f"rx_pps=0 tx_pps=0 Gbit/s=0 retrans=0 drops=0", flush=True)
    server.close()
    # Taken before asyncio.run cancels the open connections' tasks: `active`
    # says how many were still open when the stop came.
    return app.c.summary()


def fetch(args, topo):
    if not args.output:
        print(f"{PROG}: --url needs --output", file=sys.stderr)
        return 2
    res = subprocess.run(netns.ns_cmd(topo.ns, ["curl", "-sS", "--noproxy", "*", "--fail",
                                                "--max-time", str(args.timeout), "-o", args.output,
                                                args.url]), timeout=args.timeout + 10)
    return 0 if res.returncode == 0 else 1


_stop_requested = []


def _early_stop(signum, frame):
    _stop_requested.append(signum)


def main(argv):
    try:
        args = parse_args(argv)
    except Usage as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print(f"{PROG}: needs root (network namespaces)", file=sys.stderr)
        return 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limits in ((max(soft, 65536), max(hard, 65536)), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            break
        except (ValueError, OSError):
            continue
    # A SIGINT during set-up is remembered, not acted on, so set-up is never
    # cut half-way; serve() stops at once when it saw one.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _early_stop)
    topo = Topology(args)
    try:
        topo.up()
        if args.url:
            return fetch(args, topo)
        summary = asyncio.run(serve(args, topo))
    except (RuntimeError, OSError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    finally:
        topo.down()
    print("fptcp-server: summary")
    for k, v in summary.items():
        print(f"{k}: {v}")
    sys.stdout.flush()
    if args.stats_json:
        with open(args.stats_json, "w") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
