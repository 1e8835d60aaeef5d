"""The markdown table and the PNG plots of a bench/run results document."""

SIDES = [("fptcp", "fptcp (memif)"), ("linux_lo", "Linux loopback"), ("linux_veth", "Linux veth")]
LINUX_SIDES = SIDES[1:]
PLOTS = ["rate.png", "latency.png", "throughput.png"]
STREAM_CASES = [
    ("stream_send_1", "send, 1 conn"), ("stream_send_16", "send, 16 conns"),
    ("stream_receive_1", "receive, 1 conn"), ("stream_receive_16", "receive, 16 conns"),
]


def _request_rate(case, side, r):
    if case == "crr" and side == "fptcp":
        return r["connections_per_s"]  # connections that closed normally after a full response
    return r["requests_per_s"]


def _latency_us(pct):
    def get(case, side, r):
        values = r["request_latency"] if side == "fptcp" else r["latency"]
        ns = values.get(f"p{pct}_ns")
        return None if ns is None else ns / 1e3
    return get


def _field(name):
    return lambda case, side, r: r.get(name)


HIGHER, LOWER, NO_RATIO = "higher", "lower", "none"
ROWS = [
    ("CRR, HTTP/1.1 64 B body, 64 in flight: connections/s", "crr", _request_rate, HIGHER, "{:,.0f}"),
    ("CRR: request latency p50 (us)", "crr", _latency_us(50), LOWER, "{:,.1f}"),
    ("CRR: request latency p99 (us)", "crr", _latency_us(99), LOWER, "{:,.1f}"),
    ("RR, HTTP/1.1 64 B body, 1 connection: requests/s", "rr", _request_rate, HIGHER, "{:,.0f}"),
    ("RR: latency p50 (us)", "rr", _latency_us(50), LOWER, "{:,.2f}"),
    ("RR: latency p90 (us)", "rr", _latency_us(90), LOWER, "{:,.2f}"),
    ("RR: latency p99 (us)", "rr", _latency_us(99), LOWER, "{:,.2f}"),
    ("RR, 64 B echo, 1 connection: round trips/s", "rr_echo", _request_rate, HIGHER, "{:,.0f}"),
    ("RR echo: latency p50 (us)", "rr_echo", _latency_us(50), LOWER, "{:,.2f}"),
    ("RR echo: latency p90 (us)", "rr_echo", _latency_us(90), LOWER, "{:,.2f}"),
    ("RR echo: latency p99 (us)", "rr_echo", _latency_us(99), LOWER, "{:,.2f}"),
] + [
    (f"STREAM {label}, MSS 1460: Gbit/s", case, _field("gbit_per_s"), HIGHER, "{:,.2f}")
    for case, label in STREAM_CASES
] + [
    ("connections held (idle, keep-alive)", "held", _field("held"), NO_RATIO, "{:,.0f}"),
    ("server memory per held connection (bytes)", "held", _field("memory_per_connection_bytes"), LOWER,
     "{:,.0f}"),
]


def _value(doc, case, side, get):
    r = doc["results"].get(case, {}).get(side)
    return None if r is None else get(case, side, r)


def _ratio(fptcp, linux, better):
    if fptcp is None or linux is None or better == NO_RATIO or fptcp <= 0 or linux <= 0:
        return "-"
    return f"{(fptcp / linux if better == HIGHER else linux / fptcp):.1f}x"


def table(doc):
    env = doc["environment"]
    lines = [
        f"`{env['command']}` on {env['date']} (commit {env['commit']}, Linux {env['kernel']}, {env['cpus']} CPUs; "
        f"load average {env['load_average_start'][0]:.2f} at the start, {env['load_average_end'][0]:.2f} at the end; "
        f"{env['duration_s']} s per case).",
        "",
        "| case | fptcp (memif) | Linux loopback | Linux veth | fptcp advantage vs loopback | vs veth |",
        "|---|---|---|---|---|---|",
    ]
    for label, case, get, better, fmt in ROWS:
        values = {side: _value(doc, case, side, get) for side, _ in SIDES}
        cells = [("-" if values[s] is None else fmt.format(values[s])) for s, _ in SIDES]
        ratios = [_ratio(values["fptcp"], values[s], better) for s, _ in LINUX_SIDES]
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")
    lines += ["", "fptcp advantage: fptcp / Linux for rates, Linux / fptcp for latency and memory."]
    ab = [(name, _value(doc, "crr_ab", side, _request_rate)) for side, name in LINUX_SIDES]
    if any(v is not None for _, v in ab):
        lines.append("CRR cross-check with ab (64 concurrent, HTTP/1.0) against the same nginx: " + ", ".join(
            f"{name} {v:,.0f}/s" for name, v in ab if v is not None) + ".")
    held = doc["results"].get("held", {})
    for side, name in LINUX_SIDES:
        r = held.get(side)
        if r:
            lines.append(f"{name} held connections: nginx worker {r['user_bytes_per_connection']:,.0f} B + kernel "
                         f"{r['kernel_bytes_per_connection']:,.0f} B per connection (socket, inode, file, epoll "
                         f"entry: slab growth), opened in {r['open_seconds']:.1f} s.")
    r = held.get("fptcp")
    if r:
        lines.append(f"fptcp held connections: fptcp-server's RSS grew from {r['server_rss_idle_bytes'] / 2**20:,.0f} "
                     f"MiB to {r['server_rss_max_bytes'] / 2**20:,.0f} MiB.")
    return "\n".join(lines) + "\n"


def _cdf_points(latency):
    points = sorted((float(k[1:-3].replace("_", ".")), v / 1e3) for k, v in latency.items()
                    if k.startswith("p") and k.endswith("_ns") and k[1:-3].replace("_", "").isdigit())
    return [us for _, us in points], [p / 100 for p, _ in points]


def plots(doc, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = doc["results"]
    fig, (crr, stream) = plt.subplots(1, 2, figsize=(11, 4))
    for side, name in SIDES:
        r = results.get("crr", {}).get(side)
        if r and side == "fptcp":
            rates = [x["conn/s"] for x in r["per_second"] if not x["warmup"]]
            crr.plot(range(1, len(rates) + 1), rates, marker="o", label=name)
        elif r:
            crr.plot(range(1, len(r["passive_opens_per_second"]) + 1), r["passive_opens_per_second"], marker="o",
                     label=name)
        s = results.get("stream_send_1", {}).get(side)
        if s and side == "fptcp":
            gbits = [x["Gbit/s"] for x in s["per_second"] if not x["warmup"]]
            stream.plot(range(1, len(gbits) + 1), gbits, marker="o", label=name)
        elif s:
            stream.plot(range(1, len(s["per_second"]) + 1), s["per_second"], marker="o", label=name)
    crr.set(title="CRR, 64 in flight: connections per second", xlabel="second", yscale="log")
    stream.set(title="STREAM send, 1 connection: Gbit/s", xlabel="second")
    for ax in (crr, stream):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "rate.png", dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, case, title in zip(axes, ("rr_echo", "rr", "crr"),
                               ("RR 64 B echo, 1 connection", "RR HTTP, 1 connection", "CRR HTTP, 64 in flight")):
        for side, name in SIDES:
            r = results.get(case, {}).get(side)
            if r:
                xs, ys = _cdf_points(r["request_latency"] if side == "fptcp" else r["latency"])
                ax.plot(xs, ys, marker="o", label=name)
        ax.set(title=f"{title}: request latency (percentiles)", xlabel="us", ylabel="fraction", xscale="log")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.27
    for i, (side, name) in enumerate(SIDES):
        values = [results.get(case, {}).get(side, {}).get("gbit_per_s", 0) for case, _ in STREAM_CASES]
        bars = ax.bar([x + (i - 1) * width for x in range(len(STREAM_CASES))], values, width, label=name)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks(range(len(STREAM_CASES)), [label for _, label in STREAM_CASES])
    ax.set(title="STREAM, MSS 1460: Gbit/s", ylabel="Gbit/s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=100)
    plt.close(fig)
