"""Parsers for the outputs bench/run collects: fptcp-gen's live lines, wrk,
ab, iperf3 --json, /proc/net/snmp, /proc/PID/status and /proc/slabinfo.

Every parser takes text (or parsed JSON) and returns plain dicts, so
bench/benchlib/test_parse.py checks them against outputs captured here.
Latencies are returned in nanoseconds, rates per second, throughput in Gbit/s.
"""

import re

_WRK_UNITS_NS = {"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


class ParseError(ValueError):
    pass


def _duration_ns(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ParseError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _WRK_UNITS_NS[m.group(2)]


def parse_wrk(text):
    """wrk --latency: requests, duration, requests_per_s, errors, latency percentiles (ns)."""
    total = re.search(r"^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h),", text, re.M)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    if not total or not rate:
        raise ParseError("wrk output has no 'requests in' or 'Requests/sec' line")
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0, "non_2xx_3xx": 0}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        for key, value in zip(("connect", "read", "write", "timeout"), sock.groups()):
            errors[key] = int(value)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors["non_2xx_3xx"] = int(non2xx.group(1))
    percentiles = {}
    dist = text.split("Latency Distribution", 1)
    if len(dist) == 2:
        for pct, value in re.findall(r"^\s+(\d+)%\s+([0-9.]+(?:us|ms|s|m|h))\s*$", dist[1], re.M):
            percentiles[f"p{pct}_ns"] = _duration_ns(value)
    return {
        "requests": int(total.group(1)),
        "duration_s": _duration_ns(total.group(2) + total.group(3)) / 1e9,
        "requests_per_s": float(rate.group(1)),
        "errors": errors,
        "latency": percentiles,
    }


def parse_ab(text):
    """ab: complete and failed requests, requests_per_s, latency percentiles (ns, from ab's ms)."""
    def number(label):
        m = re.search(rf"^{label}:\s+([0-9.]+)", text, re.M)
        if not m:
            raise ParseError(f"ab output has no '{label}' line")
        return float(m.group(1))

    percentiles = {}
    table = text.split("Percentage of the requests served within a certain time (ms)", 1)
    if len(table) == 2:
        for pct, ms in re.findall(r"^\s+(\d+)%\s+(\d+)", table[1], re.M):
            if pct != "100":
                percentiles[f"p{pct}_ns"] = float(ms) * 1e6
    return {
        "requests": int(number("Complete requests")),
        "failed": int(number("Failed requests")),
        "duration_s": number("Time taken for tests"),
        "requests_per_s": number("Requests per second"),
        "latency": percentiles,
    }


def parse_iperf3(doc):
    """iperf3 --json (as a dict): Gbit/s received, retransmits, per-second Gbit/s."""
    if "error" in doc:
        raise ParseError(f"iperf3: {doc['error']}")
    end = doc["end"]
    intervals = [i["sum"] for i in doc.get("intervals", []) if not i["sum"].get("omitted", False)]
    return {
        "gbit_per_s": end["sum_received"]["bits_per_second"] / 1e9,
        "bytes": end["sum_received"]["bytes"],
        "retransmits": end["sum_sent"].get("retransmits", 0),
        "duration_s": end["sum_received"]["seconds"],
        "per_second": [i["bits_per_second"] / 1e9 for i in intervals],
    }


def parse_echo_client(text):
    """fptcp-bench-echo client: requests, requests_per_s, latency percentiles (ns)."""
    values = dict(re.findall(r"^(\w+): ([0-9.]+)$", text, re.M))
    if "requests_per_s" not in values:
        raise ParseError("fptcp-bench-echo output has no requests_per_s line")
    return {
        "requests": int(values["requests"]),
        "requests_per_s": float(values["requests_per_s"]),
        "latency": {k: float(v) for k, v in values.items() if k.endswith("_ns")},
    }


_GEN_LINE = re.compile(r"^t=(\d+)s (.*?)( \(warm-up\))?$")


def parse_gen_lines(text):
    """fptcp-gen's live lines: [{t, warmup, key: value...}] ('conn/s', 'rps', 'Gbit/s', 'in_flight'...)."""
    lines = []
    for raw in text.splitlines():
        m = _GEN_LINE.match(raw.strip())
        if not m:
            continue
        entry = {"t": int(m.group(1)), "warmup": m.group(3) is not None}
        for field in m.group(2).split():
            key, _, value = field.partition("=")
            entry[key] = float(value)
        lines.append(entry)
    return lines


def parse_snmp_tcp(text):
    """The Tcp: counters of /proc/net/snmp (header line, then values)."""
    rows = [line.split()[1:] for line in text.splitlines() if line.startswith("Tcp:")]
    if len(rows) != 2:
        raise ParseError("no Tcp: header and value lines in /proc/net/snmp")
    return {key: int(value) for key, value in zip(rows[0], rows[1])}


def parse_vmrss_kib(text):
    m = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    if not m:
        raise ParseError("no VmRSS line")
    return int(m.group(1))


def parse_slabinfo(text):
    """/proc/slabinfo: {cache: bytes of its active objects}."""
    caches = {}
    for line in text.splitlines():
        if line.startswith(("slabinfo", "#")):
            continue
        fields = line.split()
        if len(fields) >= 4:
            caches[fields[0]] = int(fields[1]) * int(fields[3])
    return caches
