"""Network namespaces, veth pairs and TAP bookkeeping for the interop tests.

Topology made by veth_pair(n):

    root namespace                         namespace fptcp-peer<N>
    veth-fp<N>  (up, no address)  <----->  veth-pe<N>  10.71.<N>.1/24
    fptcp-server attaches here with        the Linux peer: curl, ab, Python
    --port af_packet:veth-fp<N>            clients and servers run here
    and owns 10.71.<N>.2/24

Only standard library. Every namespace and link made here is named after N,
and N is reserved by creating fptcp-peer<N> (`ip netns add` fails when it
exists), so two runs never share one. An owner file holding our pid lets
cleanup_stale() remove what a killed earlier run left behind without touching
the namespaces of a run still alive. lossy.py's path uses the same N and adds
the namespaces fptcp-lossy-br<N> and fptcp-lossy-lx<N>, owned and removed
the same way.
"""

import contextlib
import ctypes
import os
import re
import shutil
import subprocess
import time

CLONE_NEWNET = 0x40000000
RUN_DIR = "/run/fptcp-interop"
NETNS_DIR = "/run/netns"
PEER_PREFIX = "fptcp-peer"       # the Linux side of a veth pair
SERVER_NS_PREFIX = "fptcp-srv-"  # made by linux_standin.py
LOSSY_NS_PREFIX = "fptcp-lossy-"  # the lossy path's bridge and Linux server (lossy.py)
FIRST_N = 1
LAST_N = 250

_libc = ctypes.CDLL(None, use_errno=True)

# Numbers reserved by this process and not yet torn down; the runner tears
# down whatever a test left here (for instance when its timeout fired).
reserved = set()


class NetnsError(RuntimeError):
    pass


def run(cmd, check=True, timeout=30, input_bytes=None):
    """Runs a command (a list), returns CompletedProcess with text output."""
    try:
        res = subprocess.run(cmd, input=input_bytes, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise NetnsError(f"timed out after {timeout}s: {' '.join(cmd)}") from e
    res.stdout = res.stdout.decode(errors="replace")
    res.stderr = res.stderr.decode(errors="replace")
    if check and res.returncode != 0:
        raise NetnsError(f"{' '.join(cmd)} -> {res.returncode}: {res.stderr.strip()}")
    return res


def ns_cmd(ns, cmd):
    """The command list that runs cmd inside namespace ns."""
    return ["ip", "netns", "exec", ns] + list(cmd)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NetnsError(f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def entered(ns):
    """Moves the calling thread into namespace ns for the duration.

    Sockets created inside keep belonging to ns after the block ends, so the
    tests make their client sockets here and use them from anywhere.
    """
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(orig)
        finally:
            os.close(target)
    finally:
        os.close(orig)


def ns_exists(ns):
    return os.path.exists(os.path.join(NETNS_DIR, ns))


def link_exists(name, ns=None):
    cmd = ["ip", "link", "show", "dev", name]
    if ns:
        cmd = ["ip", "-n", ns, "link", "show", "dev", name]
    return run(cmd, check=False).returncode == 0


def _owner_path(ns):
    return os.path.join(RUN_DIR, ns + ".pid")


def write_owner(ns, pid=None):
    os.makedirs(RUN_DIR, exist_ok=True)
    with open(_owner_path(ns), "w") as f:
        f.write(str(pid or os.getpid()))


def _owner_alive(ns):
    try:
        with open(_owner_path(ns)) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def delete_ns(ns):
    if ns_exists(ns):
        run(["ip", "netns", "del", ns], check=False)
    with contextlib.suppress(OSError):
        os.unlink(_owner_path(ns))


def delete_link(name):
    if link_exists(name):
        run(["ip", "link", "del", "dev", name], check=False)


def _n_of(ns):
    m = re.fullmatch(f"(?:{PEER_PREFIX}|{LOSSY_NS_PREFIX}[a-z]+)" + r"(\d+)", ns)
    return int(m.group(1)) if m else None


def cleanup_stale(log=None):
    """Removes namespaces and links of earlier runs whose owner is gone."""
    if not os.path.isdir(NETNS_DIR):
        return
    for ns in sorted(os.listdir(NETNS_DIR)):
        if not ns.startswith((PEER_PREFIX, SERVER_NS_PREFIX, LOSSY_NS_PREFIX)):
            continue
        if _owner_alive(ns):
            continue
        if log:
            log(f"removing stale namespace {ns}")
        delete_ns(ns)
        n = _n_of(ns)
        if n is not None:
            _unguard_routes(n)
            for link in (f"veth-fp{n}", f"fptcp-t{n}", f"fptcp-t{n}s"):
                delete_link(link)


def _reserve_n():
    """Reserves a free N by creating fptcp-peer<N>; returns (n, ns)."""
    for n in range(FIRST_N, LAST_N + 1):
        ns = f"{PEER_PREFIX}{n}"
        if (ns_exists(ns) or link_exists(f"veth-fp{n}") or link_exists(f"fptcp-t{n}")
                or any(map(ns_exists, lossy_namespaces(n)))):
            continue
        if run(["ip", "netns", "add", ns], check=False).returncode == 0:
            write_owner(ns)
            reserved.add(n)
            _guard_routes(n)
            return n, ns
    raise NetnsError("no free namespace number left (fptcp-peer1..250 all taken)")


GUARD_METRIC = "4242"


def _guard_nets(n):
    return (f"10.71.{n}.0/24", f"10.72.{n}.0/24", f"10.73.{n}.0/24", f"10.74.{n}.0/24")


def _guard_routes(n):
    """Unreachable routes in the root namespace for the test subnets of N.

    Until a TAP (or anything else) brings its connected route (metric 0, so
    preferred), a packet for 10.7x.N.y from the root namespace fails locally
    instead of leaving through the default route.
    """
    for net in _guard_nets(n):
        run(["ip", "route", "replace", "unreachable", net, "metric", GUARD_METRIC], check=False)


def _unguard_routes(n):
    for net in _guard_nets(n):
        run(["ip", "route", "del", "unreachable", net, "metric", GUARD_METRIC], check=False)


def route_dev(ip):
    """The device the root namespace would use to reach ip, or None."""
    res = run(["ip", "-o", "route", "get", ip], check=False)
    m = re.search(r"\bdev (\S+)", res.stdout)
    return m.group(1) if res.returncode == 0 and m else None


def disable_offloads(dev, ns=None):
    """Makes dev send only complete frames: full checksums, no TSO/GSO/GRO.

    A veth with TX checksum offload hands the other end frames whose TCP
    checksum is only partial (CHECKSUM_PARTIAL); fptcp reading them through
    af_packet would see bad checksums. ethtool -K turns the offloads off; when
    ethtool is missing, a tc `csum` action completes the checksums in software
    and gso_max_size keeps segments at MTU size.
    """
    prefix = ["ip", "netns", "exec", ns] if ns else []
    if shutil.which("ethtool"):
        res = run(prefix + ["ethtool", "-K", dev, "tx", "off", "rx", "off", "tso", "off",
                            "gso", "off", "gro", "off"], check=False)
        # Some features are fixed on some kernels; tx off is the one that matters.
        feats = run(prefix + ["ethtool", "-k", dev], check=False).stdout
        if re.search(r"^tx-checksumming: off", feats, re.M):
            return
        if res.returncode != 0 and "tx-checksumming" not in feats:
            raise NetnsError(f"ethtool -K {dev}: {res.stderr.strip()}")
    nsopt = ["-n", ns] if ns else []
    run(["ip"] + nsopt + ["link", "set", "dev", dev, "gso_max_size", "1500"], check=False)
    run(["tc"] + nsopt + ["qdisc", "replace", "dev", dev, "clsact"])
    run(["tc"] + nsopt + ["filter", "replace", "dev", dev, "egress", "pref", "1", "matchall",
                          "action", "csum", "iph", "tcp", "udp", "icmp"])


def quiet_root_end(dev):
    """The root end carries fptcp's traffic: the root kernel must stay out of it.

    No address, no IPv6, no forwarding: a frame for 10.71.N.2 reaches fptcp
    through af_packet and is never routed elsewhere by the root kernel.
    """
    for key, val in ((f"net.ipv6.conf.{dev}.disable_ipv6", "1"),
                     (f"net.ipv4.conf.{dev}.forwarding", "0"),
                     (f"net.ipv4.conf.{dev}.accept_redirects", "0"),
                     (f"net.ipv4.conf.{dev}.send_redirects", "0")):
        run(["sysctl", "-q", "-w", f"{key}={val}"], check=False)


class Pair:
    """One veth pair: fptcp's end in the root namespace, Linux's in peer_ns."""

    def __init__(self, n):
        self.n = n
        self.peer_ns = f"{PEER_PREFIX}{n}"
        self.root_if = f"veth-fp{n}"
        self.peer_if = f"veth-pe{n}"
        self.peer_ip = f"10.71.{n}.1"
        self.fptcp_ip = f"10.71.{n}.2"
        self.prefix = 24
        self.port_spec = f"af_packet:{self.root_if}"

    def __repr__(self):
        return f"Pair({self.root_if} <-> {self.peer_ns}/{self.peer_if})"

    def exec(self, cmd, **kw):
        """Runs cmd inside the peer namespace."""
        return run(ns_cmd(self.peer_ns, cmd), **kw)

    def sysctl(self, key, value):
        self.exec(["sysctl", "-q", "-w", f"{key}={value}"])


def _build_pair(p):
    run(["ip", "link", "add", p.root_if, "type", "veth", "peer", "name", p.peer_if])
    run(["ip", "link", "set", "dev", p.peer_if, "netns", p.peer_ns])
    ipn = ["ip", "-n", p.peer_ns]
    run(ipn + ["link", "set", "dev", "lo", "up"])
    run(ipn + ["addr", "add", f"{p.peer_ip}/{p.prefix}", "dev", p.peer_if])
    run(ipn + ["link", "set", "dev", p.peer_if, "up"])
    p.exec(["sysctl", "-q", "-w", f"net.ipv6.conf.{p.peer_if}.disable_ipv6=1"], check=False)
    disable_offloads(p.peer_if, ns=p.peer_ns)
    quiet_root_end(p.root_if)
    disable_offloads(p.root_if)
    run(["ip", "link", "set", "dev", p.root_if, "up"])
    # Room for 10,000+ concurrent client connections from one address.
    p.sysctl("net.ipv4.ip_local_port_range", "10000 65000")


@contextlib.contextmanager
def veth_pair(log=None):
    """Creates a Pair and always removes it, whatever happens inside."""
    n, _ = _reserve_n()
    p = Pair(n)
    try:
        _build_pair(p)
        if log:
            log(f"made {p}")
        yield p
    finally:
        teardown(n)


@contextlib.contextmanager
def reserved_n():
    """Reserves a number N (for a TAP test) and releases it afterwards."""
    n, _ = _reserve_n()
    try:
        yield n
    finally:
        teardown(n)


def teardown(n):
    reserved.discard(n)
    delete_ns(f"{PEER_PREFIX}{n}")
    _unguard_routes(n)
    for link in (f"veth-fp{n}", f"fptcp-t{n}", f"fptcp-t{n}s"):
        delete_link(link)
    # A stand-in server namespace left behind by a stand-in that was killed.
    delete_ns(f"{SERVER_NS_PREFIX}veth-fp{n}")
    delete_ns(f"{SERVER_NS_PREFIX}fptcp-t{n}")
    for ns in lossy_namespaces(n):
        delete_ns(ns)


def lossy_namespaces(n):
    """The lossy path's bridge and Linux-server namespaces of N (lossy.py)."""
    return (f"{LOSSY_NS_PREFIX}br{n}", f"{LOSSY_NS_PREFIX}lx{n}")


def ss_states(ns, peer=None):
    """Counts of TCP socket states in ns from `ss -tan` (those to peer's address
    only, when given), e.g. {'ESTAB': 3}."""
    out = run(ns_cmd(ns, ["ss", "-tanH"] + (["dst", peer] if peer else []))).stdout
    counts = {}
    for line in out.splitlines():
        fields = line.split()
        if fields:
            counts[fields[0]] = counts.get(fields[0], 0) + 1
    return counts


def wait_no_stuck(ns, allowed=("TIME-WAIT", "LISTEN"), timeout=15.0, peer=None):
    """Waits (bounded) until ns holds only allowed TCP states (to peer, when
    given); returns the last counts."""
    deadline = time.monotonic() + timeout
    while True:
        counts = ss_states(ns, peer)
        bad = {k: v for k, v in counts.items() if k not in allowed}
        if not bad or time.monotonic() > deadline:
            return bad, counts
        time.sleep(0.25)
