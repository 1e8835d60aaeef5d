#!/usr/bin/python3
"""fptcp-server's DPDK telemetry commands, read as any telemetry client reads
them: over the EAL's socket (/var/run/dpdk/<file prefix>/dpdk_telemetry.v2,
SOCK_SEQPACKET, one JSON answer per command, as dpdk-telemetry.py speaks).

The server runs on a TAP port; HTTP requests from the kernel side make
traffic; then every /fptcp/ command must answer with what happened.

usage: telemetry.py FPTCP_SERVER   (root: the TAP port)
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

REQUESTS = 20


def query(sock, command):
    sock.send(command.encode())
    answer = json.loads(sock.recv(1 << 16).decode())
    return answer.get(command)


def http_requests(ip, n):
    for _ in range(n):
        with socket.create_connection((ip, 80), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            assert data.startswith(b"HTTP/1.1 200"), data[:80]


def main(argv):
    server = argv[1]
    if os.geteuid() != 0:
        print("skipped: the TAP port needs root")
        return 77
    n = os.getpid() % 250
    tap, ip, kernel_ip = f"fptcp-tl{n}", f"10.79.{n}.2", f"10.79.{n}.1"
    proc = subprocess.Popen([server, "--port", f"tap:{tap}", "--ip", f"{ip}/24", "--kernel-ip", f"{kernel_ip}/24",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    failures = []
    try:
        path = f"/var/run/dpdk/fptcp-{proc.pid}/dpdk_telemetry.v2"
        deadline = time.monotonic() + 30
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the TAP's address and route
        http_requests(ip, REQUESTS)
        time.sleep(1.5)  # the lcore publishes once a second
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            sock.connect(path)
            hello = json.loads(sock.recv(1 << 16).decode())
            listed = query(sock, "/")
            answers = {c: query(sock, c) for c in ("/fptcp/stats", "/fptcp/drops", "/fptcp/states",
                                                   "/fptcp/lcores", "/fptcp/listeners", "/fptcp/port")}
        checks = [
            ("the socket greets with a version", "version" in hello),
            ("'/' lists every /fptcp/ command", all(c in listed for c in answers)),
            (f"/fptcp/stats: connections_opened >= {REQUESTS}",
             answers["/fptcp/stats"].get("connections_opened", 0) >= REQUESTS),
            ("/fptcp/stats: rx_packets > 0", answers["/fptcp/stats"].get("rx_packets", 0) > 0),
            ("/fptcp/drops: drop reasons only, and some",
             answers["/fptcp/drops"] and all(k.startswith("drop_") for k in answers["/fptcp/drops"])),
            ("/fptcp/states: state_* only, and established among them",
             all(k.startswith("state_") for k in answers["/fptcp/states"])
             and "state_ESTABLISHED" in answers["/fptcp/states"]),
            ("/fptcp/lcores: lcore_0 with busy_percent 0-100, rx_pps, tx_pps, active",
             set(answers["/fptcp/lcores"].get("lcore_0", {})) == {"busy_percent", "rx_pps", "tx_pps", "active"}
             and 0 <= answers["/fptcp/lcores"]["lcore_0"]["busy_percent"] <= 100),
            ("/fptcp/listeners: lcore_0 listens on 80", answers["/fptcp/listeners"].get("lcore_0") == [80]),
            ("/fptcp/port: the driver counted frames", answers["/fptcp/port"].get("rx_packets", 0) > 0),
        ]
        for what, ok in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {what}")
            if not ok:
                failures.append(what)
        if failures:
            print(json.dumps(answers))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            failures.append("the server did not stop")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
