"""A lossy LAN path shared by a Linux echo server and fptcp-server (lossy_side_by_side).

Topology made by lossy_path(), N reserved by netns.reserved_n():

    fptcp-peer<N>            fptcp-lossy-br<N>                 fptcp-lossy-lx<N>
    veth-pe<N> 10.74.N.1 --- lb-c<N> \\                /  lb-l<N> --- veth-lx<N> 10.74.N.3
                                      bridge lb-br<N>                 socat echo (Linux TCP)
                                     (or l2_forwarder) \\ lb-f<N> --- veth-fp<N> (root namespace)
                                                                      fptcp-server 10.74.N.2
                                                                      --port af_packet:veth-fp<N>

The client (Linux, clients.echo_stream) talks to one server at a time; both
servers hang off the same bridge and pass the same rules. Loss comes from the
kernel: an nftables table of family bridge in fptcp-lossy-br<N> whose rules
count the IPv4 TCP frames but SYNs entering from the client's port (direction
to_server) and from any server port (to_client) and drop a random share of
each (`numgen random mod 1000 < R counter drop`). For reordering and
duplication the bridge is replaced by l2_forwarder.py on the same ports.
Every veth has its offloads off (netns.disable_offloads): frames are whole
and MTU-sized for both servers, and fptcp's af_packet port reads complete
checksums.
"""

import contextlib
import json
import os
import re
import subprocess
import time

import netns
from server import Server

HERE = os.path.dirname(os.path.abspath(__file__))
ECHO_PORT = 80
NFT_TABLE = "fptcp_loss"
# The frames the path may lose: IPv4 TCP but SYNs (a lost SYN or SYN-ACK costs a
# 1 s timeout on either side, which would swamp a sub-second echo; what is
# measured is the recovery of data, ACKs and FINs). l2_forwarder.py: the same.
LOSSY_FRAMES = "ip protocol tcp tcp flags ! syn"


class Path:
    """The names and addresses of one lossy path."""

    def __init__(self, n):
        self.n = n
        self.client_ns = f"{netns.PEER_PREFIX}{n}"
        self.bridge_ns, self.linux_ns = netns.lossy_namespaces(n)
        self.client_if, self.client_port = f"veth-pe{n}", f"lb-c{n}"
        self.linux_if, self.linux_port = f"veth-lx{n}", f"lb-l{n}"
        self.fptcp_if, self.fptcp_port = f"veth-fp{n}", f"lb-f{n}"
        self.bridge = f"lb-br{n}"
        self.client_ip, self.fptcp_ip, self.linux_ip = f"10.74.{n}.1", f"10.74.{n}.2", f"10.74.{n}.3"
        self.prefix = 24
        self.port_spec = f"af_packet:{self.fptcp_if}"

    @property
    def server_ports(self):
        return (self.linux_port, self.fptcp_port)

    def __repr__(self):
        return (f"lossy path {self.n}: {self.client_ns} -- {self.bridge_ns} -- "
                f"{self.linux_ns} / root {self.fptcp_if}")


def _ip(ns, *args):
    return netns.run(["ip", "-n", ns] + list(args))


def _quiet(ns, dev):
    """No IPv6 on dev: only the test's IPv4 frames cross the path."""
    netns.run(netns.ns_cmd(ns, ["sysctl", "-q", "-w", f"net.ipv6.conf.{dev}.disable_ipv6=1"]), check=False)


def _addressed_end(ns, dev, ip, prefix):
    _ip(ns, "link", "set", "dev", "lo", "up")
    _ip(ns, "addr", "add", f"{ip}/{prefix}", "dev", dev)
    _quiet(ns, dev)
    netns.disable_offloads(dev, ns=ns)
    _ip(ns, "link", "set", "dev", dev, "up")


def _build(p):
    for ns in (p.bridge_ns, p.linux_ns):
        netns.run(["ip", "netns", "add", ns])
        netns.write_owner(ns)
    netns.run(["ip", "link", "add", p.client_if, "netns", p.client_ns, "type", "veth",
               "peer", "name", p.client_port, "netns", p.bridge_ns])
    netns.run(["ip", "link", "add", p.linux_if, "netns", p.linux_ns, "type", "veth",
               "peer", "name", p.linux_port, "netns", p.bridge_ns])
    netns.run(["ip", "link", "add", p.fptcp_if, "type", "veth", "peer", "name", p.fptcp_port,
               "netns", p.bridge_ns])
    _addressed_end(p.client_ns, p.client_if, p.client_ip, p.prefix)
    _addressed_end(p.linux_ns, p.linux_if, p.linux_ip, p.prefix)
    netns.quiet_root_end(p.fptcp_if)
    netns.disable_offloads(p.fptcp_if)
    netns.run(["ip", "link", "set", "dev", p.fptcp_if, "up"])
    _ip(p.bridge_ns, "link", "set", "dev", "lo", "up")
    _ip(p.bridge_ns, "link", "add", p.bridge, "type", "bridge")
    _quiet(p.bridge_ns, p.bridge)
    _ip(p.bridge_ns, "link", "set", "dev", p.bridge, "up")
    for port in (p.client_port,) + p.server_ports:
        _quiet(p.bridge_ns, port)
        netns.disable_offloads(port, ns=p.bridge_ns)
        _ip(p.bridge_ns, "link", "set", "dev", port, "up")
    bridge_ports(p, attached=True)


def bridge_ports(p, attached):
    """Puts the three ports on the bridge, or takes them off (for l2_forwarder)."""
    for port in (p.client_port,) + p.server_ports:
        if attached:
            _ip(p.bridge_ns, "link", "set", "dev", port, "master", p.bridge)
        else:
            _ip(p.bridge_ns, "link", "set", "dev", port, "nomaster")


@contextlib.contextmanager
def lossy_path(log):
    """Makes a Path and always removes it (netns.teardown), whatever happens inside."""
    with netns.reserved_n() as n:
        p = Path(n)
        _build(p)
        log(f"made {p}")
        yield p


# -- loss in the kernel: nftables, family bridge -------------------------------
def nft_ruleset(p, per_mille):
    """Counts then drops per_mille / 1000 of the LOSSY_FRAMES each way."""
    from_client = f'iifname "{p.client_port}"'
    from_server = f'iifname != "{p.client_port}"'
    rules = []
    for direction, match in (("to_server", from_client), ("to_client", from_server)):
        rules.append(f'{match} {LOSSY_FRAMES} counter comment "{direction} frames"')
        rules.append(f'{match} {LOSSY_FRAMES} numgen random mod 1000 < {per_mille} counter drop '
                     f'comment "{direction} dropped"')
    body = "\n".join("        " + r for r in rules)
    return (f"table bridge {NFT_TABLE}\ndelete table bridge {NFT_TABLE}\n"
            f"table bridge {NFT_TABLE} {{\n    chain forward {{\n"
            f"        type filter hook forward priority 0; policy accept;\n{body}\n    }}\n}}\n")


def set_nft_loss(p, per_mille):
    """(Re)creates the table: its counters start at 0."""
    netns.run(netns.ns_cmd(p.bridge_ns, ["nft", "-f", "-"]), input_bytes=nft_ruleset(p, per_mille).encode())


def remove_nft(p):
    netns.run(netns.ns_cmd(p.bridge_ns, ["nft", "delete", "table", "bridge", NFT_TABLE]), check=False)


def nft_counts(p):
    """{'to_server frames': n, 'to_server dropped': n, 'to_client ...': n} from the rules' counters."""
    out = netns.run(netns.ns_cmd(p.bridge_ns, ["nft", "-j", "list", "table", "bridge", NFT_TABLE])).stdout
    counts = {}
    for item in json.loads(out)["nftables"]:
        rule = item.get("rule")
        if not rule or "comment" not in rule:
            continue
        for e in rule["expr"]:
            if "counter" in e:
                counts[rule["comment"]] = e["counter"]["packets"]
    return counts


# -- l2_forwarder: loss, reordering and duplication --------------------------------
def forwarder(p, loss, reorder, duplicate, seed, log):
    """l2_forwarder.py in the bridge namespace, between the client's and the servers' ports."""
    cmd = netns.ns_cmd(p.bridge_ns, [
        "/usr/bin/python3", os.path.join(HERE, "l2_forwarder.py"), "--client", p.client_port,
        "--server", p.linux_port, "--server", p.fptcp_port, "--loss", str(loss), "--reorder", str(reorder),
        "--duplicate", str(duplicate), "--seed", str(seed)])
    return Server(cmd, name="l2_forwarder", log=log)


def wait_ready(srv, timeout=10.0):
    deadline = time.monotonic() + timeout
    while "ready" not in srv.stdout:
        if not srv.alive() or time.monotonic() > deadline:
            raise netns.NetnsError(f"{srv.name} not ready: {srv.stderr.strip()[-500:]!r}")
        time.sleep(0.05)


def forwarder_counts(srv):
    """The JSON line l2_forwarder printed at exit, as a dict."""
    for line in reversed(srv.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise netns.NetnsError(f"l2_forwarder printed no counts: {srv.stdout[-500:]!r} {srv.stderr[-500:]!r}")


# -- the Linux side ----------------------------------------------------------------------
def linux_echo(p, log):
    """linux_echo.py in the Linux server's namespace (Linux's TCP stack does the work)."""
    cmd = netns.ns_cmd(p.linux_ns, ["/usr/bin/python3", os.path.join(HERE, "linux_echo.py"),
                                    "--ip", p.linux_ip, "--port", str(ECHO_PORT)])
    return Server(cmd, name="linux echo", log=log)


def sysctl(ns, key):
    return netns.run(netns.ns_cmd(ns, ["sysctl", "-n", key])).stdout.strip()


NSTAT_KEYS = ("TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPLossProbes", "TcpExtTCPSackRecovery",
              "TcpExtTCPFastRetrans", "TcpExtTCPLostRetransmit", "TcpExtTCPSpuriousRTOs",
              "TcpExtTCPDSACKRecv", "TcpExtTCPSACKReorder", "TcpExtTCPOFOQueue", "TcpExtTCPOFODrop",
              "TcpOutSegs", "TcpInSegs")


def nstat(ns):
    """Absolute TCP counters of namespace ns (`nstat -asz`: no history file)."""
    out = netns.run(netns.ns_cmd(ns, ["nstat", "-asz"])).stdout
    values = {}
    for line in out.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)", line)
        if m:
            values[m.group(1)] = int(m.group(2))
    return values


def delta(after, before, keys=None):
    return {k: after.get(k, 0) - before.get(k, 0) for k in (keys or after)}


def link_counts(dev, ns=None):
    """The interface's own counters (`ip -s link`): rx/tx packets and dropped."""
    cmd = ["ip", "-j", "-s", "link", "show", "dev", dev]
    if ns:
        cmd = ["ip", "-n", ns] + cmd[1:]
    stats = json.loads(netns.run(cmd).stdout)[0]["stats64"]
    return {"rx_packets": stats["rx"]["packets"], "rx_dropped": stats["rx"]["dropped"],
            "tx_packets": stats["tx"]["packets"], "tx_dropped": stats["tx"]["dropped"]}
