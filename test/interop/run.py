#!/usr/bin/python3
"""Runs the interop cases against fptcp-server or the Linux stand-in.

  run.py build/app/fptcp-server                 every case against fptcp
  run.py build/app/fptcp-server --only ab_20000 one case (comma list allowed)
  run.py --standin                              every case against Linux
  run.py --server-cmd "CMD ARGS" ...            any server with the same CLI
  run.py --list                                 the case names

Needs root (network namespaces); without it, exits 77 (meson: skipped).
Prints PASS/FAIL/SKIP per case and `N passed, N failed, N skipped`; exit
status 1 when a case failed. See docs/interop.md.
"""

import argparse
import os
import resource
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases  # noqa: E402
import netns  # noqa: E402
import server  # noqa: E402


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="run.py", description="fptcp interop tests")
    p.add_argument("server_binary", nargs="?", help="path to fptcp-server")
    p.add_argument("--server-cmd", help="server command (shell words) taking fptcp-server's options; "
                                        "default: the server_binary")
    p.add_argument("--standin", action="store_true",
                   help="run against the Linux stand-in (linux_standin.py); counter checks skipped")
    p.add_argument("--only", help="comma-separated case names to run")
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    p.add_argument("--client-cmd", help="active-open client (shell) template with {port} {ip} {url} "
                                        "{output}; default: examples/fptcp-fetch of the server's build")
    p.add_argument("--gen", help="path to fptcp-gen (default: next to the server binary)")
    p.add_argument("--peer-capture", action="store_true",
                   help="also capture on the Linux end of each veth (dumpcap), kept with a failing case")
    p.add_argument("--keep", action="store_true", help="keep every case's temporary directory")
    p.add_argument("-v", "--verbose", action="store_true", help="print the log as it goes")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    if a.list:
        for name, fn, timeout, _ in cases.CASES:
            print(f"{name:22} {timeout:4}s  {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    selected = cases.CASES
    if a.only:
        names = [n.strip() for n in a.only.split(",") if n.strip()]
        known = {c[0] for c in cases.CASES}
        unknown = [n for n in names if n not in known]
        if unknown:
            print(f"run.py: unknown case(s) {unknown}; --list shows them", file=sys.stderr)
            return 2
        selected = [c for c in cases.CASES if c[0] in names]

    standin = a.standin
    if a.server_cmd:
        server_cmd = shlex.split(a.server_cmd)
        standin = standin or any("linux_standin" in w for w in server_cmd)
    elif a.standin:
        server_cmd = ["/usr/bin/python3", os.path.join(HERE, "linux_standin.py")]
    elif a.server_binary:
        server_cmd = [os.path.abspath(a.server_binary)]
        if not os.access(server_cmd[0], os.X_OK):
            print(f"run.py: {a.server_binary} is not an executable", file=sys.stderr)
            return 2
    else:
        print("run.py: give the fptcp-server binary, --server-cmd or --standin", file=sys.stderr)
        return 2

    if os.geteuid() != 0:
        print("interop: skipped: needs root (network namespaces, veth, af_packet)")
        return 77
    missing = [p for p in ("ip", "sysctl", "ss") if not shutil.which(p)]
    if missing:
        print(f"run.py: missing {missing} (apt-get install iproute2 procps)", file=sys.stderr)
        return 1

    gen = a.gen
    if not gen and a.server_binary:
        cand = os.path.join(os.path.dirname(os.path.abspath(a.server_binary)), "fptcp-gen")
        gen = cand if os.path.exists(cand) else None
    client_cmd = a.client_cmd
    if not client_cmd and standin and not a.server_cmd:
        client_cmd = ("/usr/bin/python3 " + shlex.quote(os.path.join(HERE, "linux_standin.py")) +
                      " --port {port} --ip {ip} --url {url} --output {output} --timeout 240")
    if not client_cmd and a.server_binary:
        # examples/fptcp-fetch (the embedding example: one HTTP GET over an
        # fptcp port, body written to a file), built next to app/.
        build = os.path.dirname(os.path.dirname(os.path.abspath(a.server_binary)))
        fetch = os.path.join(build, "examples", "fptcp-fetch")
        if os.access(fetch, os.X_OK):
            client_cmd = (shlex.quote(fetch) + " --port {port} --ip {ip} --url {url}"
                          " --output {output} --timeout 240")

    # 10,000 connections in this process (idle_10000).
    raise_nofile(65536)

    netns.cleanup_stale(log=lambda m: print(f"interop: {m}"))
    tmp_root = tempfile.mkdtemp(prefix="fptcp-interop-")
    signal.signal(signal.SIGALRM, _alarm)
    passed = failed = skipped = 0
    print(f"interop: server: {' '.join(server_cmd)}{' (Linux stand-in)' if standin else ''}; "
          f"logs under {tmp_root}", flush=True)
    for name, fn, timeout, needs in selected:
        tmp = os.path.join(tmp_root, name)
        os.makedirs(tmp)
        lines = []

        def log(msg, _lines=lines):
            line = f"[{time.strftime('%H:%M:%S')}] {msg}"
            _lines.append(line)
            if a.verbose:
                print("    " + line, flush=True)

        ctx = cases.Ctx(server_cmd, standin, client_cmd, tmp, log)
        ctx.gen_path = gen
        ctx.peer_capture = a.peer_capture
        t0 = time.monotonic()
        status, detail = "PASS", ""
        try:
            missing = [p for p in needs if not shutil.which(p)]
            if missing:
                raise cases.Skip(f"{', '.join(missing)} not installed")
            signal.alarm(timeout)
            try:
                fn(ctx)
            finally:
                signal.alarm(0)
        except cases.Skip as e:
            status, detail = "SKIP", str(e)
        except CaseTimeout:
            status, detail = "FAIL", f"timed out after {timeout}s"
        except Exception as e:  # noqa: BLE001 - a case failing in any way is a FAIL
            status = "FAIL"
            detail = f"{type(e).__name__}: {e}"
            log(traceback.format_exc())
        finally:
            signal.alarm(0)
            _cleanup_after_case(log)
        dt = time.monotonic() - t0
        with open(os.path.join(tmp, "log.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        notes = f" ({'; '.join(ctx.notes)})" if ctx.notes and status == "PASS" else ""
        print(f"{status} {name} [{dt:.1f}s]{notes}{': ' + detail if detail else ''}", flush=True)
        if status == "PASS":
            passed += 1
        elif status == "SKIP":
            skipped += 1
        else:
            failed += 1
            if not a.verbose:
                for line in lines[-30:]:
                    print("    " + line)
            print(f"    log and captures: {tmp}")
        if status != "FAIL" and not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if not failed and not a.keep:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def raise_nofile(want):
    """Raises RLIMIT_NOFILE to want, or to the hard limit when we may not go above it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limits in ((max(soft, want), max(hard, want)), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            return
        except (ValueError, OSError):
            continue


def _cleanup_after_case(log):
    """Stops servers and removes namespaces a case left (timeout, exception)."""
    for srv in list(server.running):
        try:
            srv.stop(timeout=15)
        except server.ServerError as e:
            log(f"cleanup: {e}")
        server.running.discard(srv)
    for n in list(netns.reserved):
        log(f"cleanup: tearing down namespace {n}")
        netns.teardown(n)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
