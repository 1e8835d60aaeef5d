"""Checks bench/benchlib/parse.py and report.py against outputs captured on
this machine (testdata/: wrk 4.1.0, ab 2.3, iperf3 3.12, fptcp-gen).

    /usr/bin/python3 -m unittest discover -s bench/benchlib -t bench
"""

import json
import unittest
from pathlib import Path

from benchlib import parse, report

DATA = Path(__file__).resolve().parent / "testdata"


class Wrk(unittest.TestCase):
    def test_crr_run(self):
        r = parse.parse_wrk((DATA / "wrk-crr.txt").read_text())
        self.assertEqual(r["requests"], 12432)
        self.assertAlmostEqual(r["duration_s"], 3.09)
        self.assertAlmostEqual(r["requests_per_s"], 4020.07)
        self.assertEqual(r["latency"], {"p50_ns": 13.85e6, "p75_ns": 16.83e6, "p90_ns": 18.98e6, "p99_ns": 24.92e6})
        self.assertEqual(sum(r["errors"].values()), 0)

    def test_units_mix_microseconds_and_milliseconds(self):
        r = parse.parse_wrk((DATA / "wrk-rr.txt").read_text())
        self.assertEqual(r["latency"]["p50_ns"], 78e3)
        self.assertEqual(r["latency"]["p75_ns"], 2.96e6)
        self.assertAlmostEqual(r["requests_per_s"], 2378.50)

    def test_socket_errors_and_non_2xx(self):
        text = (DATA / "wrk-crr.txt").read_text().replace(
            "Requests/sec:", "  Socket errors: connect 1, read 12, write 0, timeout 3\n"
                             "  Non-2xx or 3xx responses: 7\nRequests/sec:")
        r = parse.parse_wrk(text)
        self.assertEqual(r["errors"], {"connect": 1, "read": 12, "write": 0, "timeout": 3, "non_2xx_3xx": 7})

    def test_truncated_output_is_an_error(self):
        with self.assertRaises(parse.ParseError):
            parse.parse_wrk("Running 3s test @ http://127.0.0.1/\n")


class Ab(unittest.TestCase):
    def test_run(self):
        r = parse.parse_ab((DATA / "ab-crr.txt").read_text())
        self.assertEqual(r["requests"], 11879)
        self.assertEqual(r["failed"], 0)
        self.assertAlmostEqual(r["duration_s"], 3.001)
        self.assertAlmostEqual(r["requests_per_s"], 3958.50)
        self.assertEqual(r["latency"]["p50_ns"], 16e6)
        self.assertEqual(r["latency"]["p99_ns"], 31e6)
        self.assertNotIn("p100_ns", r["latency"])  # the longest request, not a percentile

    def test_missing_line_is_an_error(self):
        with self.assertRaises(parse.ParseError):
            parse.parse_ab("Complete requests: 5\n")


class Iperf3(unittest.TestCase):
    def test_receive_16(self):
        r = parse.parse_iperf3(json.loads((DATA / "iperf3-receive-16.json").read_text()))
        self.assertAlmostEqual(r["gbit_per_s"], 4.401924370616385)
        self.assertEqual(r["bytes"], 1650458624)
        self.assertEqual(r["retransmits"], 583)
        # the omitted (warm-up) interval is left out
        self.assertEqual([round(x, 3) for x in r["per_second"]], [4.052, 4.699, 4.455])

    def test_error_document(self):
        with self.assertRaises(parse.ParseError):
            parse.parse_iperf3({"error": "unable to connect to server: Connection refused"})


class EchoClient(unittest.TestCase):
    def test_run(self):
        r = parse.parse_echo_client("requests: 1569\nrequests_per_s: 784\np50_ns: 47411\np90_ns: 5881742\n"
                                    "p99_ns: 8043515\np99_9_ns: 9272648\nmax_ns: 9357787\n")
        self.assertEqual(r["requests"], 1569)
        self.assertEqual(r["requests_per_s"], 784)
        self.assertEqual(r["latency"], {"p50_ns": 47411, "p90_ns": 5881742, "p99_ns": 8043515,
                                        "p99_9_ns": 9272648, "max_ns": 9357787})

    def test_failed_run(self):
        with self.assertRaises(parse.ParseError):
            parse.parse_echo_client("")


class FptcpLines(unittest.TestCase):
    def test_gen_and_server_lines(self):
        lines = parse.parse_gen_lines(
            "fptcp-gen: crr (http) to 10.98.0.1:80\n"
            "t=1s conn/s=12553 rps=12569 in_flight=64 errors=0 (warm-up)\n"
            "t=2s Gbit/s=1.250 connections=1 errors=0\n"
            "t=3s conn/s=0 active=5000 time_wait=0 rx_pps=3347 tx_pps=3314 Gbit/s=0.006 retrans=0 drops=0\n"
            "fptcp-gen: summary\nconnections: 78091\n")
        self.assertEqual(len(lines), 3)
        self.assertEqual(lines[0], {"t": 1, "warmup": True, "conn/s": 12553, "rps": 12569, "in_flight": 64,
                                    "errors": 0})
        self.assertEqual(lines[1]["Gbit/s"], 1.25)
        self.assertFalse(lines[2]["warmup"])
        self.assertEqual(lines[2]["active"], 5000)


class Proc(unittest.TestCase):
    def test_snmp(self):
        text = ("Tcp: RtoAlgorithm RtoMin ActiveOpens PassiveOpens\nTcp: 1 200 26620 26621\n"
                "Udp: InDatagrams\nUdp: 3\n")
        self.assertEqual(parse.parse_snmp_tcp(text)["PassiveOpens"], 26621)

    def test_vmrss_and_slabinfo(self):
        self.assertEqual(parse.parse_vmrss_kib("Name:\tnginx\nVmRSS:\t  116328 kB\n"), 116328)
        slab = parse.parse_slabinfo(
            "slabinfo - version: 2.1\n# name <active_objs> <num_objs> <objsize> ...\n"
            "TCP                   79    130   2368   13    8 : tunables    0    0    0 : slabdata 10 10 0\n")
        self.assertEqual(slab, {"TCP": 79 * 2368})


class Table(unittest.TestCase):
    def test_ratios_favour_fptcp_when_it_is_faster_or_smaller(self):
        env = {"command": "bench/run", "date": "d", "commit": "c", "kernel": "k", "cpus": 2,
               "load_average_start": [1, 1, 1], "load_average_end": [1, 1, 1], "duration_s": 10}
        results = {
            "crr": {"fptcp": {"connections_per_s": 100000, "request_latency": {"p50_ns": 10e3, "p99_ns": 20e3}},
                    "linux_lo": {"requests_per_s": 25000, "latency": {"p50_ns": 40e3, "p99_ns": 100e3}}},
        }
        text = report.table({"environment": env, "results": results})
        self.assertIn("| CRR, HTTP/1.1 64 B body, 64 in flight: connections/s | 100,000 | 25,000 | - | 4.0x | - |",
                      text)
        self.assertIn("| CRR: request latency p99 (us) | 20.0 | 100.0 | - | 5.0x | - |", text)


if __name__ == "__main__":
    unittest.main()
