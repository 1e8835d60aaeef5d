"""Linux TCP clients for the interop tests, run from a peer namespace.

Sockets are created inside the namespace (netns.entered) and then used from
this process: no subprocess per connection, so thousands of connections and
100 MiB transfers stay cheap. Every wait is bounded by a timeout.
"""

import errno
import hashlib
import os
import selectors
import socket
import struct
import threading
import time

import netns


class ClientError(AssertionError):
    pass


def tcp_socket(ns):
    with netns.entered(ns):
        return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def connect(ns, ip, port, timeout=10.0):
    s = tcp_socket(ns)
    s.settimeout(timeout)
    try:
        s.connect((ip, port))
    except OSError:
        s.close()
        raise
    return s


def recv_all(s, deadline):
    """Reads until EOF; returns the bytes."""
    chunks = []
    while True:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = s.recv(1 << 20)
        except socket.timeout as e:
            raise ClientError(f"no EOF before the deadline ({sum(map(len, chunks))} bytes read)") from e
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def http_get(ns, ip, port=80, close=True, timeout=10.0):
    """One GET on a new connection; returns (status, headers, body).

    With close=True the request says `Connection: close` and the response is
    read to EOF, which the server sends first (it closes first); the client
    closes right after, so TIME_WAIT lands on the server.
    """
    deadline = time.monotonic() + timeout
    s = connect(ns, ip, port, timeout)
    try:
        req = f"GET / HTTP/1.1\r\nHost: {ip}\r\nUser-Agent: fptcp-interop\r\n"
        if close:
            req += "Connection: close\r\n"
        s.sendall((req + "\r\n").encode())
        if close:
            raw = recv_all(s, deadline)
        else:
            raw = read_one_response(s, deadline)
        status, headers, body = parse_response(raw)
        return status, headers, body
    finally:
        s.close()


def read_one_response(s, deadline):
    """One HTTP response (header and Content-Length body) from s, as bytes."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += _recv_some(s, deadline)
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        rest += _recv_some(s, deadline)
    return head + b"\r\n\r\n" + rest


def _recv_some(s, deadline):
    s.settimeout(max(0.1, deadline - time.monotonic()))
    data = s.recv(65536)
    if not data:
        raise ClientError("connection closed in the middle of a response")
    return data


def parse_response(raw):
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ClientError(f"no complete HTTP header in {raw[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ClientError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(parts[1]), headers, body


def echo_stream(ns, ip, port, total, chunk=1 << 20, half_close=True, timeout=120.0):
    """Sends `total` random bytes, reads the echo; returns (sent_sha, got_sha, got_len).

    A thread sends (then shuts down its write side when half_close) while this
    thread reads until EOF, so neither side's window stalls the other.
    """
    deadline = time.monotonic() + timeout
    s = connect(ns, ip, port)
    sent_hash = hashlib.sha256()
    err = []

    def sender():
        try:
            left = total
            while left > 0:
                if time.monotonic() > deadline:
                    raise ClientError("send deadline passed")
                data = os.urandom(min(chunk, left))
                sent_hash.update(data)
                s.sendall(data)
                left -= len(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (OSError, ClientError) as e:
            err.append(e)

    s.settimeout(max(1.0, deadline - time.monotonic()))
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    got_hash = hashlib.sha256()
    got = 0
    try:
        while got < total or half_close:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = s.recv(1 << 20)
            except socket.timeout as e:
                if got >= total:
                    raise ClientError(f"all {total} bytes came back but no FIN from the server "
                                      f"after our half-close") from e
                raise ClientError(f"echo stalled: {got} of {total} bytes back") from e
            if not data:
                break
            got_hash.update(data)
            got += len(data)
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        s.close()
    if err:
        raise ClientError(f"sender failed: {err[0]}")
    return sent_hash.hexdigest(), got_hash.hexdigest(), got


def reset_mid_transfer(ns, ip, port, before_reset=1 << 20, timeout=30.0):
    """Starts an echo transfer and aborts it with an RST (SO_LINGER 0, close)."""
    deadline = time.monotonic() + timeout
    s = connect(ns, ip, port)
    data = os.urandom(64 * 1024)
    sent = 0
    got = 0
    s.setblocking(False)
    while sent < before_reset and time.monotonic() < deadline:
        try:
            sent += s.send(data)
        except BlockingIOError:
            time.sleep(0.001)
        try:
            got += len(s.recv(1 << 20))
        except BlockingIOError:
            pass
    # Leave data in flight both ways, then abort: Linux sends RST.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return sent, got


class ConnectionSet:
    """Many concurrent client connections, opened with a bounded number in flight."""

    def __init__(self, ns, ip, port):
        self.ns, self.ip, self.port = ns, ip, port
        self.socks = []

    def open(self, count, in_flight=256, timeout=120.0):
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        pending = 0
        made = 0
        failures = []
        try:
            while len(self.socks) < count:
                if time.monotonic() > deadline:
                    raise ClientError(f"only {len(self.socks)} of {count} connected before the deadline")
                while made < count and pending < in_flight:
                    s = tcp_socket(self.ns)
                    s.setblocking(False)
                    rc = s.connect_ex((self.ip, self.port))
                    if rc not in (0, errno.EINPROGRESS):
                        s.close()
                        raise ClientError(f"connect: {os.strerror(rc)}")
                    sel.register(s, selectors.EVENT_WRITE)
                    pending += 1
                    made += 1
                for key, _ in sel.select(timeout=1.0):
                    s = key.fileobj
                    sel.unregister(s)
                    pending -= 1
                    rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if rc:
                        failures.append(os.strerror(rc))
                        s.close()
                        if len(failures) > 10:
                            raise ClientError(f"connect failures: {failures[:5]}")
                        made -= 1  # try again
                        continue
                    self.socks.append(s)
        finally:
            for key in list(sel.get_map().values()):
                key.fileobj.close()
            sel.close()
        return len(self.socks)

    def ping_all(self, timeout=60.0):
        """Sends one byte on every connection and waits for its echo."""
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        try:
            for s in self.socks:
                s.send(b"p")
                sel.register(s, selectors.EVENT_READ)
            left = len(self.socks)
            while left:
                if time.monotonic() > deadline:
                    raise ClientError(f"{left} of {len(self.socks)} connections did not echo")
                for key, _ in sel.select(timeout=1.0):
                    data = key.fileobj.recv(16)
                    if data != b"p":
                        raise ClientError(f"unexpected echo {data!r}")
                    sel.unregister(key.fileobj)
                    left -= 1
        finally:
            sel.close()

    def close_all(self):
        for s in self.socks:
            s.close()
        self.socks = []


def internet_checksum(data):
    """RFC 1071: the ones' complement of the ones' complement sum of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_echo(ns, ip, payload, ident, seq, timeout=5.0):
    """One ICMP echo request (what `ping` sends) from namespace ns; returns the
    reply's (identifier, sequence, payload), or raises ClientError."""
    with netns.entered(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        csum = internet_checksum(header + payload)
        s.sendto(struct.pack("!BBHHH", 8, 0, csum, ident, seq) + payload, (ip, 0))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClientError(f"no echo reply from {ip} (id {ident}, seq {seq})")
            s.settimeout(left)
            try:
                packet, (src, _) = s.recvfrom(65535)
            except socket.timeout:
                continue
            ihl = (packet[0] & 0x0F) * 4
            icmp = packet[ihl:]
            if src != ip or len(icmp) < 8 or icmp[0] != 0:  # type 0: echo reply
                continue
            if internet_checksum(icmp) != 0:
                raise ClientError(f"echo reply from {ip} with a bad ICMP checksum")
            r_ident, r_seq = struct.unpack("!HH", icmp[4:8])
            if r_ident == ident:
                return r_ident, r_seq, icmp[8:]
    finally:
        s.close()
