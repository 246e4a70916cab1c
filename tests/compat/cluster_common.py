"""What the cluster tests share: Redis Cluster's key slot computed independently of the server,
the slot map as a node reports it, node configuration files rewritten for CLUSTER RELOAD, and
waiting for a resharding to finish."""

import socket
import time
import traceback

import redis


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %.300r, got %.300r" % (what, expected, actual))


def crc16(data):
    """CRC16-XMODEM, computed here independently of the server."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key):
    """Redis Cluster's rule: the {hash tag} if there is a non-empty one, else the whole key."""
    raw = key.encode()
    start = raw.find(b"{")
    if start >= 0:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1:end]
    return crc16(raw) % 16384


def slot_owners(client):
    """slot -> port, from CLUSTER SLOTS."""
    owners = {}
    for first, last, owner, *_ in client.execute_command("CLUSTER", "SLOTS"):
        for slot in range(first, last + 1):
            owners[slot] = owner[1]
    return owners


def set_membership(node, ports, epoch):
    """Rewrites node's configuration file with this membership and epoch (its other directives
    kept), for CLUSTER RELOAD to read."""
    members = " ".join("%s:%d" % (node.host, p) for p in ports)
    node.directives = [(k, v) for k, v in node.directives
                       if k not in ("cluster-nodes", "cluster-epoch")]
    node.directives += [("cluster-nodes", members), ("cluster-epoch", str(epoch))]
    node.write_conf()


def info_fields(client, section):
    text = client.execute_command("INFO", section)
    if isinstance(text, dict):
        return {k: str(v) for k, v in text.items()}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def wait_settled(nodes, timeout=60.0):
    """Until no node has a slot in transition (bounded); returns the seconds it took."""
    start = time.monotonic()
    clients = [redis.Redis(host=n.host, port=n.port, decode_responses=True) for n in nodes]
    try:
        while True:
            busy = [n.port for n, c in zip(nodes, clients)
                    if info_fields(c, "cluster")["cluster_slots_in_transition"] != "0"
                    or info_fields(c, "cluster")["cluster_transfers_active"] != "0"]
            if not busy:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError("resharding not finished after %.0fs on %s" % (timeout, busy))
            time.sleep(0.05)
    finally:
        for c in clients:
            c.close()


class RawClient:
    """A socket that sends commands and returns each reply's bytes as they came (RESP2 or
    RESP3), to compare replies byte for byte."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.reply()

    def reply(self):
        while True:
            end = self._scan(0)
            if end is not None:
                reply, self.buf = self.buf[:end], self.buf[end:]
                return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def _scan(self, pos):
        """Where the reply at pos ends, or None when it is incomplete."""
        line_end = self.buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        kind, text, nxt = self.buf[pos:pos + 1], self.buf[pos + 1:line_end], line_end + 2
        if kind in b"$=!" and text != b"-1":
            end = nxt + int(text) + 2
            return end if len(self.buf) >= end else None
        if kind in b"*~>%|" and text != b"-1":
            count = int(text) * (2 if kind in b"%|" else 1)
            for _ in range(count):
                nxt = self._scan(nxt)
                if nxt is None:
                    return None
        return nxt

    def close(self):
        self.sock.close()


class Tally:
    """Runs a test's parts, each reported "<name>: <part> ok" or with its traceback and
    "FAILED" (the next part runs anyway), then the summary line the test runner shows."""

    def __init__(self, name):
        self.name = name
        self.passed = self.failed = 0

    def run(self, part, fn, *args):
        """fn(*args), counted; its result, or None when it failed."""
        try:
            result = fn(*args)
        except Exception:  # noqa: BLE001 - report every failure, go on with the next
            traceback.print_exc()
            print("%s: %s FAILED" % (self.name, part))
            self.failed += 1
            return None
        if isinstance(result, str):
            print("%s: %s ok: %s" % (self.name, part, result))
        else:
            print("%s: %s ok" % (self.name, part))
        self.passed += 1
        return result

    def finish(self, problems=()):
        """Counts the servers' stop problems too; returns the exit status."""
        for problem in problems:
            print(problem)
            self.failed += 1
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        return 1 if self.failed else 0
