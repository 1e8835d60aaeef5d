#!/usr/bin/python3
"""fptcp-proxy between Linux clients and Linux servers (examples/proxy.cc).

    proxy.py build/examples/fptcp-proxy [--only NAME,...] [--list] [--mib N]

The path is lossy_side_by_side's with no loss (lossy.py): a client namespace
(10.74.N.1), a Linux server namespace (10.74.N.3) and fptcp-proxy on
af_packet in the root namespace (10.74.N.2), all on one bridge. Every case
starts the proxy in front of a Linux server and checks what the client gets:

  curl        a 10 MiB file through the proxy, byte for byte (Python's
              http.server as the backend)
  ab          2,000 HTTP requests, 16 at a time, one connection each: none
              failed, every session closed cleanly
  echo        --mib MiB (100 by default) of random bytes echoed by the Linux
              echo server, SHA-256 equal both ways; the client's half-close
              comes back as the server's FIN (half-close passed on both ways)
  reset       the client resets mid-transfer: the backend connection is reset
              too (no connection left on the Linux server)
  round_robin two backends (ports 8001 and 8002) take turns
  unreachable the backend refuses (nothing listens): the client gets a RST

Needs root; without it exits 77 (skipped). Prints PASS/FAIL per case and
`N passed, N failed`.
"""

import argparse
import contextlib
import hashlib
import os
import re
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import clients  # noqa: E402
import lossy  # noqa: E402
import netns  # noqa: E402
from server import Server  # noqa: E402

PROXY_PORT = 80
SUMMARY_MARK = "fptcp-proxy: summary"


class Fail(AssertionError):
    pass


def proxy_summary(text):
    """The proxy's `key: value` summary lines, as a dict of ints."""
    lines = text.splitlines()
    if SUMMARY_MARK not in lines:
        raise Fail(f"fptcp-proxy printed no summary; stdout tail {text[-500:]!r}")
    out = {}
    for line in lines[lines.index(SUMMARY_MARK) + 1:]:
        m = re.match(r"^(\w+): (\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class Ctx:
    def __init__(self, proxy_bin, path, tmp, log, mib):
        self.proxy_bin = proxy_bin
        self.p = path
        self.tmp = tmp
        self.log = log
        self.mib = mib

    @contextlib.contextmanager
    def proxy(self, *backends):
        """fptcp-proxy on the path in front of backends (ports on the Linux server)."""
        cmd = [self.proxy_bin, "--port", self.p.port_spec, "--ip", f"{self.p.fptcp_ip}/{self.p.prefix}",
               "--listen", str(PROXY_PORT)]
        for port in backends:
            cmd += ["--backend", f"{self.p.linux_ip}:{port}"]
        cmd += ["--pcap", os.path.join(self.tmp, "proxy.pcapng")]  # kept when the case fails
        srv = Server(cmd, name="fptcp-proxy", log=self.log)
        with srv:
            srv.wait_tcp(self.p.client_ns, self.p.fptcp_ip, PROXY_PORT)
            yield srv
            srv.stop()
        self.summary = proxy_summary(srv.stdout)
        self.log(f"proxy summary: {self.summary}")
        if srv.returncode != 0:
            raise Fail(f"fptcp-proxy exited {srv.returncode}; stderr {srv.stderr[-500:]!r}")

    @contextlib.contextmanager
    def linux(self, name, cmd):
        """A server process in the Linux server's namespace."""
        with Server(netns.ns_cmd(self.p.linux_ns, cmd), name=name, log=self.log) as srv:
            yield srv

    def http_server(self, port, directory):
        return self.linux("http.server", ["/usr/bin/python3", "-m", "http.server", "--bind", self.p.linux_ip,
                                          "--directory", directory, str(port)])

    def echo_server(self, port):
        return self.linux("linux echo", ["/usr/bin/python3", os.path.join(HERE, "linux_echo.py"),
                                         "--ip", self.p.linux_ip, "--port", str(port)])

    def wait_backend(self, srv, port):
        srv.wait_tcp(self.p.client_ns, self.p.linux_ip, port)

    def client(self, cmd, timeout=120):
        res = netns.run(netns.ns_cmd(self.p.client_ns, cmd), check=False, timeout=timeout)
        self.log(f"{' '.join(cmd[:3])}...: exit {res.returncode}; {res.stdout[-300:]!r} {res.stderr[-300:]!r}")
        return res

    def url(self, path=""):
        return f"http://{self.p.fptcp_ip}:{PROXY_PORT}/{path}"


def case_curl(ctx):
    site = os.path.join(ctx.tmp, "site")
    os.makedirs(site)
    blob = os.urandom(10 << 20)
    with open(os.path.join(site, "blob"), "wb") as f:
        f.write(blob)
    out = os.path.join(ctx.tmp, "got")
    with ctx.http_server(8000, site) as web, ctx.proxy(8000):
        ctx.wait_backend(web, 8000)
        res = ctx.client(["curl", "-sS", "--fail", "-o", out, ctx.url("blob")])
        if res.returncode != 0:
            raise Fail(f"curl exit {res.returncode}: {res.stderr.strip()}")
    with open(out, "rb") as f:
        got = f.read()
    if hashlib.sha256(got).digest() != hashlib.sha256(blob).digest():
        raise Fail(f"curl got {len(got)} bytes that differ from the {len(blob)}-byte file")
    return f"10 MiB byte for byte, {ctx.summary['sessions']} session(s)"


def case_ab(ctx):
    site = os.path.join(ctx.tmp, "site")
    os.makedirs(site)
    with open(os.path.join(site, "small"), "wb") as f:
        f.write(b"x" * 1024)
    with ctx.http_server(8000, site) as web, ctx.proxy(8000):
        ctx.wait_backend(web, 8000)
        res = ctx.client(["ab", "-q", "-n", "2000", "-c", "16", "-s", "10", ctx.url("small")])
    complete = re.search(r"Complete requests:\s+(\d+)", res.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", res.stdout)
    rate = re.search(r"Requests per second:\s+([\d.]+)", res.stdout)
    if res.returncode != 0 or not complete or int(complete.group(1)) != 2000 or not failed or \
            int(failed.group(1)) != 0:
        raise Fail(f"ab: exit {res.returncode}, {res.stdout[-800:]!r}")
    s = ctx.summary
    if s["sessions"] < 2000 or s["backend_failures"] != 0 or s["resets_passed"] != 0:
        raise Fail(f"proxy summary {s}: want 2,000 sessions, no backend failure, no reset")
    return f"2000 requests, 0 failed, {rate.group(1) if rate else '?'} req/s (Python backend)"


def case_echo(ctx):
    total = int(ctx.mib * (1 << 20))
    with ctx.echo_server(7) as echo, ctx.proxy(7):
        ctx.wait_backend(echo, 7)
        t0 = time.monotonic()
        sent, got, n = clients.echo_stream(ctx.p.client_ns, ctx.p.fptcp_ip, PROXY_PORT, total, timeout=240)
        took = time.monotonic() - t0
    if n != total or sent != got:
        raise Fail(f"echo: {n} of {total} bytes back, SHA-256 {'equal' if sent == got else 'different'}")
    return f"{ctx.mib:g} MiB, SHA-256 equal, half-close passed on, {took:.2f} s"


def case_reset(ctx):
    with ctx.echo_server(7) as echo, ctx.proxy(7):
        ctx.wait_backend(echo, 7)
        sent, _ = clients.reset_mid_transfer(ctx.p.client_ns, ctx.p.fptcp_ip, PROXY_PORT)
        # The proxy resets the backend connection: nothing stays open on Linux.
        bad, counts = netns.wait_no_stuck(ctx.p.linux_ns, allowed=("LISTEN", "TIME-WAIT"), timeout=10)
        if bad:
            raise Fail(f"the Linux server still holds {counts} after the client's reset")
    if ctx.summary["resets_passed"] < 1:
        raise Fail(f"proxy summary {ctx.summary}: the client's reset was not passed on")
    return f"reset after {sent} bytes passed on; the Linux server holds no connection"


def case_round_robin(ctx):
    sites = []
    for port in (8001, 8002):
        site = os.path.join(ctx.tmp, f"site{port}")
        os.makedirs(site)
        with open(os.path.join(site, "who"), "w") as f:
            f.write(str(port))
        sites.append((port, site))
    with ctx.http_server(8001, sites[0][1]) as a, ctx.http_server(8002, sites[1][1]) as b, ctx.proxy(8001, 8002):
        ctx.wait_backend(a, 8001)
        ctx.wait_backend(b, 8002)
        answers = []
        for _ in range(6):
            res = ctx.client(["curl", "-sS", "--fail", ctx.url("who")])
            answers.append(res.stdout.strip())
    if sorted(set(answers)) != ["8001", "8002"] or any(x == y for x, y in zip(answers, answers[1:])):
        raise Fail(f"backends answered {answers}: want them in turn")
    return f"answers {' '.join(answers)}"


def case_unreachable(ctx):
    with ctx.proxy(9):  # nothing listens on port 9: Linux refuses the SYN
        with netns.entered(ctx.p.client_ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect((ctx.p.fptcp_ip, PROXY_PORT))  # the proxy accepts, then learns the backend refused
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = None
        finally:
            s.close()
    if data is not None:
        raise Fail(f"want a reset, got {data!r}")
    if ctx.summary["backend_failures"] < 1:
        raise Fail(f"proxy summary {ctx.summary}: no backend failure counted")
    return "connection reset by the proxy"


CASES = [
    ("curl", case_curl, ("curl",)),
    ("ab", case_ab, ("ab",)),
    ("echo", case_echo, ()),
    ("reset", case_reset, ()),
    ("round_robin", case_round_robin, ("curl",)),
    ("unreachable", case_unreachable, ()),
]


def main(argv):
    ap = argparse.ArgumentParser(prog="proxy.py", description="fptcp-proxy between Linux peers")
    ap.add_argument("proxy_binary", nargs="?")
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--mib", type=float, default=float(os.environ.get("FPTCP_PROXY_MIB", "100")),
                    help="MiB echoed by the echo case (default 100)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.list:
        for name, _, _ in CASES:
            print(name)
        return 0
    if not a.proxy_binary:
        ap.error("give the fptcp-proxy binary")
    if os.geteuid() != 0:
        print("proxy: skipped: needs root (network namespaces, veth, af_packet)")
        return 77
    selected = [c for c in CASES if not a.only or c[0] in a.only.split(",")]
    netns.cleanup_stale()
    passed = failed = 0
    for name, fn, needs in selected:
        tmp = tempfile.mkdtemp(prefix=f"fptcp-proxy-{name}-")
        lines = []

        def log(msg, _lines=lines):
            _lines.append(f"[{time.strftime('%H:%M:%S')}] {msg}")
            if a.verbose:
                print("    " + _lines[-1], flush=True)

        t0 = time.monotonic()
        status, detail = "PASS", ""
        try:
            missing = [p for p in needs if not shutil.which(p)]
            if missing:
                raise Fail(f"{', '.join(missing)} not installed")
            with lossy.lossy_path(log) as path:
                detail = fn(Ctx(os.path.abspath(a.proxy_binary), path, tmp, log, a.mib))
        except Exception as e:  # noqa: BLE001 - any failure of a case is a FAIL
            status, detail = "FAIL", f"{type(e).__name__}: {e}"
        print(f"{status} proxy_{name} [{time.monotonic() - t0:.1f}s]: {detail}", flush=True)
        if status == "PASS":
            passed += 1
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            failed += 1
            for line in lines[-30:]:
                print("    " + line)
            print(f"    files: {tmp}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
