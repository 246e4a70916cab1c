#!/usr/bin/env python3
"""How long one large Bloom filter makes other clients wait, and how much memory it takes.

While a client creates a filter of about 120 MB (BF.RESERVE ... NONSCALING, under the default
bf-max-memory of 128 MB), adds items to it, rewrites the append-only log and deletes it, a second
client sends PING after PING on its own connection and records each round trip. Per phase: the
worst PING round trip (and how many PINGs were answered meanwhile), the phase's own command time;
at the end, used_memory_peak above the idle server's used_memory, next to the filter's size.
Each pylond given is run without and with the log (appendonly yes, appendfsync everysec), so
two builds (before and after a change) can be compared in one run:

    /usr/bin/python3 bench/bloom_stall.py build/release/daemon/pylond [/path/to/other/pylond]

Output: a Markdown table on stdout and in bench/out/bloom-stall.md. Not a test: nothing is
asserted; the numbers are what bench/README.md reports.
"""

import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "compat"))
import servers  # noqa: E402  (tests/compat/servers.py: starting and stopping servers)
from keyspace import Conn, info_field  # noqa: E402  (the benchmarks' RESP client)

CAPACITY = 100_000_000  # at 1 %, non-scaling: 114 MiB of bits
ITEMS = 200_000
BATCH = 1_000


class Pinger(threading.Thread):
    """PING after PING on its own connection; keeps (start, end) of each round trip."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = Conn(port)
        self.rounds = []
        self.stopping = False

    def run(self):
        ping = servers.resp_command("PING")
        sock = self.client.sock
        while not self.stopping:
            start = time.monotonic()
            sock.sendall(ping)
            got = b""
            while not got.endswith(b"+PONG\r\n"):
                got += sock.recv(64)
            self.rounds.append((start, time.monotonic()))

    def worst_between(self, begin, end):
        """The longest round trip that overlapped [begin, end], in ms, and how many did."""
        overlapping = [e - s for s, e in self.rounds if e >= begin and s <= end]
        return (max(overlapping) * 1000 if overlapping else float("nan")), len(overlapping)


def run(pylond, appendonly):
    directives = [("appendonly", "yes" if appendonly else "no"), ("appendfsync", "everysec")]
    server = servers.make_target(pylond, directives).start()
    try:
        c = Conn(server.port)
        idle_used = int(info_field(c, "memory", "used_memory"))
        pinger = Pinger(server.port)
        pinger.start()
        time.sleep(0.2)  # the pinger's baseline
        phases = []

        def phase(name, action):
            begin = time.monotonic()
            action()
            phases.append((name, begin, time.monotonic()))

        phase("BF.RESERVE", lambda: c.call("BF.RESERVE", "big", "0.01", str(CAPACITY),
                                           "NONSCALING"))
        size = c.call("BF.INFO", "big", "SIZE")[0]

        def add():
            for first in range(0, ITEMS, BATCH):
                c.call("BF.MADD", "big", *["item-%d" % i for i in range(first, first + BATCH)])
        phase("BF.MADD x%d" % (ITEMS // BATCH), add)

        if appendonly:
            def rewrite():
                before = int(info_field(c, "persistence", "aof_rewrites"))
                c.call("BGREWRITEAOF")
                while int(info_field(c, "persistence", "aof_rewrites")) == before:
                    time.sleep(0.01)
            phase("BGREWRITEAOF (until done)", rewrite)
            phase("BF.ADD after the rewrite", lambda: c.call("BF.ADD", "big", "one-more"))

        phase("DEL", lambda: c.call("DEL", "big"))
        time.sleep(0.2)
        pinger.stopping = True
        pinger.join()
        # Only now: a PING answered late may still have been on its way when a phase ended.
        measured = [(name, (end - begin) * 1000) + pinger.worst_between(begin, end)
                    for name, begin, end in phases]
        baseline = sorted(e - s for s, e in pinger.rounds)[len(pinger.rounds) // 2] * 1000
        peak = int(info_field(c, "memory", "used_memory_peak")) - idle_used
        return measured, size, peak, baseline
    finally:
        problem = server.stop()
        if problem:
            print(problem, file=sys.stderr)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    lines = ["| pylond | log | phase | phase ms | worst PING ms | PINGs answered |",
             "|---|---|---|---:|---:|---:|"]
    memory = ["| pylond | log | filter MB | used_memory_peak above idle, MB | median PING ms |",
              "|---|---|---:|---:|---:|"]
    for pylond in map(os.path.abspath, sys.argv[1:]):  # the server runs in a directory of its own
        for appendonly in (False, True):
            phases, size, peak, baseline = run(pylond, appendonly)
            log = "everysec" if appendonly else "off"
            for name, ms, worst, count in phases:
                lines.append("| %s | %s | %s | %.1f | %.1f | %d |" % (pylond, log, name, ms, worst,
                                                                   count))
            memory.append("| %s | %s | %.1f | %.1f | %.3f |" % (pylond, log, size / 1e6,
                                                                peak / 1e6, baseline))
    out = "\n".join(lines) + "\n\n" + "\n".join(memory) + "\n"
    print(out)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "bloom-stall.md"), "w") as f:
        f.write(out)


if __name__ == "__main__":
    main()
