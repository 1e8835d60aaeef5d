"""What the bench scripts share: their processes, each in its own session so
that cleanup stops exactly those, and the release build they run."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


class BenchError(RuntimeError):
    pass


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def load_average():
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


class Processes:
    """Every process bench/run starts, each in its own session, so cleanup
    stops exactly those (by process group id) on success, failure or Ctrl-C."""

    def __init__(self, work):
        self.work = work
        self.started = []

    def start(self, name, argv, netns=None, cpu=None):
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu)] + argv
        if netns is not None:
            argv = ["ip", "netns", "exec", netns] + argv
        out = open(self.work / f"{name}.out", "w")
        err = open(self.work / f"{name}.err", "w")
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        p.bench_name, p.bench_files = name, (out, err)
        self.started.append(p)
        return p

    def output(self, p):
        return (self.work / f"{p.bench_name}.out").read_text(), (self.work / f"{p.bench_name}.err").read_text()

    def wait(self, p, timeout):
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(p)
            raise BenchError(f"{p.bench_name} did not finish within {timeout:.0f} s")

    def stop(self, p, sig=signal.SIGTERM, grace=10):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            except ProcessLookupError:
                pass
        for f in p.bench_files:
            f.close()
        return p.returncode

    def stop_all(self):
        for p in reversed(self.started):
            self.stop(p)


def run(argv, check=True):
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise BenchError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
    return done


def release_build(build_dir, targets):
    """Sets up (if missing) a release build and builds `targets` ("app/fptcp-server", ...); their paths."""
    if not (build_dir / "build.ninja").exists():
        log(f"setting up a release build in {build_dir}")
        run(["meson", "setup", str(build_dir), str(REPO), "-Dbuildtype=release", "-Dtests=disabled"])
    options = json.loads(run(["meson", "introspect", str(build_dir), "--buildoptions"]).stdout)
    buildtype = next(o["value"] for o in options if o["name"] == "buildtype")
    if buildtype != "release":
        raise BenchError(f"{build_dir} is a '{buildtype}' build; the benchmarks need -Dbuildtype=release")
    run(["nice", "-n", "10", "ninja", "-C", str(build_dir)] + list(targets))
    return [build_dir / t for t in targets]
