"""Starts a server under test, waits until it answers, stops it, parses its summary.

The server command follows the fptcp-server command line (see docs/interop.md):
at exit it prints a line `fptcp-server: summary` followed by `key: value`
lines; stop() returns those as a dict (numbers converted to int/float).
"""

import ctypes
import re
import signal
import socket
import subprocess
import threading
import time

import netns

SUMMARY_MARK = "fptcp-server: summary"
_KV = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*:\s*(.*?)\s*$")
_LIVE = re.compile(r"(\w[\w/.]*)=(\S+)")


class ServerError(RuntimeError):
    pass


# Servers started and not yet stopped; the runner stops what a test left.
running = set()


def _number(text):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def parse_summary(text):
    """The `key: value` lines after the summary mark, as a dict."""
    out = {}
    lines = re.split(r"[\r\n]+", text)
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == SUMMARY_MARK)
    except StopIteration:
        return None
    for line in lines[start + 1:]:
        m = _KV.match(line)
        if m:
            out[m.group(1)] = _number(m.group(2))
    return out


def parse_live(text):
    """The last live status line (`t=12s conn/s=... active=...`) as a dict."""
    last = None
    for line in re.split(r"[\r\n]+", text):
        if line.startswith("t="):
            last = {k: _number(v.rstrip("s") if k == "t" else v) for k, v in _LIVE.findall(line)}
    return last


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Server:
    """A server process; use as a context manager so it is always stopped."""

    def __init__(self, cmd, name="server", log=None):
        self.cmd = [str(c) for c in cmd]
        self.name = name
        self.log = log or (lambda msg: None)
        self.proc = None
        self._out = []
        self._err = []
        self._threads = []
        self.summary = None
        self.returncode = None

    # -- life cycle ---------------------------------------------------------
    def start(self):
        self.log(f"starting {self.name}: {' '.join(self.cmd)}")
        # Own session: a Ctrl-C at the terminal reaches the harness only, which
        # then stops the server in order. PDEATHSIG: the server gets SIGTERM
        # (a clean stop) if the harness dies without stopping it.
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        running.add(self)
        for stream, sink in ((self.proc.stdout, self._out), (self.proc.stderr, self._err)):
            t = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    @staticmethod
    def _pump(stream, sink):
        for chunk in iter(lambda: stream.read1(65536), b""):
            sink.append(chunk.decode(errors="replace"))

    @property
    def stdout(self):
        return "".join(self._out)

    @property
    def stderr(self):
        return "".join(self._err)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _died(self, what):
        return ServerError(f"{self.name} exited with {self.proc.returncode} {what}; "
                           f"stderr: {self.stderr.strip()[-2000:]!r}")

    def wait_tcp(self, ns, ip, port, timeout=30.0):
        """Waits until a TCP connect from namespace ns to ip:port succeeds."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise self._died("before answering")
            try:
                with netns.entered(ns):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(1.0)
                try:
                    s.connect((ip, port))
                    return
                finally:
                    s.close()
            except OSError as e:
                last = e
            time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer on {ip}:{port} within {timeout}s "
                          f"(last error: {last}); stderr: {self.stderr.strip()[-2000:]!r}")

    def wait_tcp_root(self, ip, port, dev, timeout=30.0):
        """Same as wait_tcp, from the root namespace (TAP tests).

        Tries to connect only once the root namespace routes ip through dev
        (the TAP the server made), so nothing leaves by another route.
        """
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise self._died("before answering")
            if netns.route_dev(ip) != dev:
                last = f"no route to {ip} through {dev} yet"
                time.sleep(0.2)
                continue
            try:
                with socket.create_connection((ip, port), timeout=1.0):
                    return
            except OSError as e:
                last = e
            time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer on {ip}:{port} within {timeout}s "
                          f"(last error: {last}); stderr: {self.stderr.strip()[-2000:]!r}")

    def stop(self, timeout=30.0):
        """SIGINT, wait, parse the summary. Kills (and fails) if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                running.discard(self)
                self._join()
                raise ServerError(f"{self.name} did not stop within {timeout}s of SIGINT; killed")
        running.discard(self)
        self._join()
        self.returncode = self.proc.returncode
        self.summary = parse_summary(self.stdout)
        self.log(f"{self.name} exited {self.returncode}; summary: {self.summary}")
        return self.summary

    def _join(self):
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop()
            except ServerError as e:
                self.log(str(e))
        return False

    def checked_stop(self):
        """stop() that also insists on exit status 0 and a summary."""
        summary = self.stop()
        if self.returncode != 0:
            raise ServerError(f"{self.name} exit status {self.returncode} (expected 0); "
                              f"stderr: {self.stderr.strip()[-2000:]!r}")
        if summary is None:
            raise ServerError(f"{self.name} printed no '{SUMMARY_MARK}' block; stdout tail: "
                              f"{self.stdout[-1000:]!r}")
        return summary
