#!/usr/bin/python3
"""fptcp-server's way out, run as a program (issue 3: "Bad flags, bad config
values, missing privileges or a port that does not start: one clear line and
a non-zero exit, never a DPDK panic dump"; "Ctrl-C shuts down cleanly and
prints a summary").

  server_errors.py BUILD/app/fptcp-server

Each bad start must exit with the expected status and write exactly one
line, `fptcp-server: ...` naming the problem, on stderr (besides the
one-line warning that no hugepages are free) and nothing on stdout. A good
start on a ring port stopped with SIGINT must exit 0 after its status lines
and summary, and so must one given --duration 2, by itself. The port cases need root (they reach the EAL); without it they
are skipped, and the whole test exits 77 (meson: skipped) when nothing ran.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HUGEPAGE_WARNING = "fptcp: no free hugepages"


def stderr_lines(text):
    return [l for l in text.splitlines() if l.strip() and not l.startswith(HUGEPAGE_WARNING)]


def expect_one_line(server, args, code, words, failures, user=None):
    """Runs server with args; checks exit code, one stderr line containing words."""
    preexec = None
    if user is not None:
        def preexec():
            os.setgroups([])
            os.setgid(user)
            os.setuid(user)
    res = subprocess.run([server] + args, capture_output=True, text=True, timeout=60, preexec_fn=preexec)
    lines = stderr_lines(res.stderr)
    what = " ".join(args) + (f" (as uid {user})" if user is not None else "")
    ok = (res.returncode == code and len(lines) == 1 and lines[0].startswith("fptcp-server: ")
          and all(w in lines[0] for w in words) and not res.stdout.strip())
    print(f"{'ok  ' if ok else 'FAIL'} [{what}] exit {res.returncode}: {lines[0] if lines else '(no line)'}")
    if not ok:
        failures.append(f"{what}: want exit {code} and one line with {words}; got exit {res.returncode}, "
                        f"stderr {res.stderr!r}, stdout {res.stdout[-300:]!r}")


def check_sigint_summary(server, failures):
    """A ring port (no peer): status lines, then SIGINT, a summary, exit 0,
    and the EAL's runtime directory removed."""
    proc = subprocess.Popen([server, "--port", f"ring:errs{os.getpid()}", "--ip", "10.99.0.2/24"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        failures.append("SIGINT: the server did not stop within 30 s")
        return
    status = [l for l in out.splitlines() if l.startswith("t=") and "conn/s=" in l]
    runtime_dir = f"/var/run/dpdk/fptcp-{proc.pid}"  # the EAL's, named by the default file prefix
    ok = (proc.returncode == 0 and "fptcp-server: summary" in out and "connections_opened: 0" in out
          and len(status) >= 1 and not stderr_lines(err) and not os.path.exists(runtime_dir))
    print(f"{'ok  ' if ok else 'FAIL'} [SIGINT] exit {proc.returncode}, {len(status)} status lines, "
          f"summary {'printed' if 'fptcp-server: summary' in out else 'missing'}, "
          f"{runtime_dir} {'left behind' if os.path.exists(runtime_dir) else 'removed'}")
    if not ok:
        failures.append(f"SIGINT: exit {proc.returncode}, stdout {out[-500:]!r}, stderr {err[-500:]!r}")


def check_log_levels(server, failures):
    """--log-level info logs the start-up facts (fptcp's rte_log type, on
    stderr); --log-level error logs nothing on a clean run."""
    for level, want in (("info", ["fptcp: port ring:", "queue pair", "telemetry: /var/run/dpdk/"]), ("error", [])):
        res = subprocess.run([server, "--port", f"ring:log{os.getpid()}", "--ip", "10.99.0.2/24", "--duration", "1",
                              "--quiet", "--log-level", level], capture_output=True, text=True, timeout=60)
        ok = res.returncode == 0 and all(w in res.stderr for w in want) and (want or res.stderr.strip() == "")
        print(f"{'ok  ' if ok else 'FAIL'} [--log-level {level}] stderr {res.stderr.strip()[-200:]!r}")
        if not ok:
            failures.append(f"--log-level {level}: exit {res.returncode}, stderr {res.stderr[-300:]!r}")


def check_cpus(server, failures):
    """--cpus 1: the lcore (the main thread) polls on CPU 1, not on CPU 0."""
    if os.cpu_count() < 2:
        return
    proc = subprocess.Popen([server, "--port", f"ring:cpus{os.getpid()}", "--ip", "10.99.0.2/24", "--cpus", "1",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    try:
        cpus = os.sched_getaffinity(proc.pid)
    except OSError as e:
        cpus = f"unreadable ({e})"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    ok = cpus == {1} and proc.returncode == 0
    print(f"{'ok  ' if ok else 'FAIL'} [--cpus 1] the lcore runs on CPUs {cpus}, exit {proc.returncode}")
    if not ok:
        failures.append(f"--cpus 1: CPUs {cpus}, exit {proc.returncode}, stderr {err[-300:]!r}")


# --stats-json names every counter, zero or not: these among them.
JSON_KEYS = ("connections_opened", "time_wait_reopened", "requests", "header_timeouts", "keepalive_timeouts",
             "drops", "suspect_drops", "drop_not_for_us", "drop_tcp_paws", "drop_rx_bad_tcp_checksum",
             "state_ESTABLISHED", "state_LAST_ACK", "lost_retransmits", "elapsed_s", "conn_per_s",
             "port_rx_missed", "lcores")


def check_duration(server, failures, tmp):
    """--duration 2 on a ring port: a clean stop by itself, summary with the
    elapsed time and rates, exit 0; --stats-json names every counter."""
    t0 = time.monotonic()
    stats_json = os.path.join(tmp, "stats.json")
    res = subprocess.run([server, "--port", f"ring:dur{os.getpid()}", "--ip", "10.99.0.2/24", "--duration", "2",
                          "--quiet", "--stats-json", stats_json], capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    try:
        with open(stats_json) as f:
            text = f.read()
            missing = [k for k in JSON_KEYS if k not in json.loads(text)]
    except (OSError, ValueError) as e:
        missing = [f"unreadable: {e}: {text[:80]!r}"]
    ok = (res.returncode == 0 and "fptcp-server: summary" in res.stdout and "elapsed_s: 2." in res.stdout
          and "req_per_s: " in res.stdout and 2 <= took < 15 and not missing)
    print(f"{'ok  ' if ok else 'FAIL'} [--duration 2] exit {res.returncode} after {took:.1f} s, "
          f"JSON missing {missing or 'nothing'}")
    if not ok:
        failures.append(f"--duration 2: exit {res.returncode} after {took:.1f} s, stdout {res.stdout[-300:]!r}, "
                        f"stderr {res.stderr[-300:]!r}")


def main(argv):
    if len(argv) != 2:
        print("usage: server_errors.py BUILD/app/fptcp-server", file=sys.stderr)
        return 2
    server = argv[1]
    failures = []
    tmp = tempfile.mkdtemp(prefix="fptcp-errors-")
    configs = {
        "unknown_key.toml": "lisen = 80\n",
        "bad_value.toml": "listen = 70000\n",
        "bad_combination.toml": "[tcp]\nmss = 10\n",
        "syntax.toml": "listen = \n",
    }
    for name, text in configs.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)

    # Options and configuration: checked before anything starts (exit 2).
    expect_one_line(server, ["--bogus"], 2, ["unknown option '--bogus'"], failures)
    expect_one_line(server, ["--mode", "xyz"], 2, ["--mode", "'xyz'"], failures)
    expect_one_line(server, ["--listen", "70000"], 2, ["--listen", "'70000'"], failures)
    expect_one_line(server, ["--ip", "10.0.0.0/24"], 2, ["network address"], failures)
    expect_one_line(server, ["--msl", "0"], 2, ["--msl"], failures)
    expect_one_line(server, ["--lcores", "two"], 2, ["--lcores"], failures)
    expect_one_line(server, ["--cpus", "1-0"], 2, ["--cpus", "is not a CPU list"], failures)
    expect_one_line(server, ["--eal", "-l 1"], 2, ["--eal", "\"-l\" sets the CPUs", "--cpus"], failures)
    expect_one_line(server, ["--port", "foo:bar"], 2, ["unknown port kind 'foo'"], failures)
    expect_one_line(server, ["--ip", "10.70.0.1/24"], 2, ["fptcp's own address"], failures)
    expect_one_line(server, ["--config", os.path.join(tmp, "missing.toml")], 2, ["cannot read"], failures)
    expect_one_line(server, ["--config", os.path.join(tmp, "unknown_key.toml")], 2,
                    ["unknown_key.toml:1", "unknown key 'lisen'"], failures)
    expect_one_line(server, ["--config", os.path.join(tmp, "bad_value.toml")], 2,
                    ["bad_value.toml:1", "'70000' is not a port number"], failures)
    expect_one_line(server, ["--config", os.path.join(tmp, "bad_combination.toml")], 2, ["mss"], failures)
    expect_one_line(server, ["--config", os.path.join(tmp, "syntax.toml")], 2, ["syntax.toml:1"], failures)

    ran_ports = os.geteuid() == 0
    if ran_ports:
        # Missing privileges: user nobody.
        expect_one_line(server, [], 1, ["needs root", "CAP_NET_ADMIN"], failures, user=65534)
        expect_one_line(server, ["--port", "af_packet:lo"], 1, ["CAP_NET_RAW"], failures, user=65534)
        # Ports that do not start (exit 1).
        expect_one_line(server, ["--port", "af_packet:fptcp-nx0"], 1, ["no network interface 'fptcp-nx0'"], failures)
        expect_one_line(server, ["--port", "memif:/nonexistent-fptcp/s,role=server"], 1,
                        ["directory '/nonexistent-fptcp' does not exist"], failures)
        expect_one_line(server, ["--port", "pci:ffff:ff:1f.7"], 1, ["no PCI device ffff:ff:1f.7"], failures)
        expect_one_line(server, ["--port", "tap:lo"], 1, ["'lo' exists and is not a TAP interface"], failures)
        ring = ["--port", f"ring:errs{os.getpid()}"]
        expect_one_line(server, ring + ["--eal", "--no-such-eal-flag"], 1,
                        ["DPDK EAL start-up failed", "--no-such-eal-flag"], failures)
        if os.cpu_count() < 128:
            expect_one_line(server, ring + ["--lcores", "128"], 1, ["DPDK EAL start-up failed", "unavailable"], failures)
        expect_one_line(server, ring + ["--pcap", "/nonexistent-fptcp/x.pcapng"], 1,
                        ["--pcap", "/nonexistent-fptcp/x.pcapng"], failures)
        check_sigint_summary(server, failures)
        check_duration(server, failures, tmp)
        check_cpus(server, failures)
        check_log_levels(server, failures)
    else:
        print("skipped the port cases: not root")

    shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print(f"{len(failures)} failed")
    if failures:
        return 1
    return 0 if ran_ports else 77


if __name__ == "__main__":
    sys.exit(main(sys.argv))
