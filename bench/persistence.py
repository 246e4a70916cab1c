#!/usr/bin/python3
"""The helper and tables of bench/persistence.sh:

    persistence.py fill PORT KEYS VALUE_BYTES    SET key:0 .. key:KEYS-1, pipelined
    persistence.py report OUT_DIR [--requests N] [--clients C]

report reads persistence-raw.csv and persistence-restart.csv and writes persistence.md. The
issue's goals: at least 1.0x redis-server on every throughput row, and a restart no slower.
"""

import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table, throughput  # noqa: E402


def fill(port, keys, value_bytes):
    """SETs in batches of 1000 (one in flight), then checks DBSIZE."""
    value = b"v" * value_bytes
    with socket.create_connection(("127.0.0.1", port)) as s:
        f = s.makefile("rb")
        for start in range(0, keys, 1000):
            batch = []
            for i in range(start, min(keys, start + 1000)):
                key = b"key:%d" % i
                batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                             % (len(key), key, len(value), value))
            s.sendall(b"".join(batch))
            for _ in batch:
                line = f.readline()
                if not line.startswith(b"+OK"):
                    sys.exit("fill: unexpected reply %r" % line)
        s.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
        size = int(f.readline()[1:])
        if size != keys:
            sys.exit("fill: DBSIZE %d, expected %d" % (size, keys))


def report(a):
    rows = throughput(os.path.join(a.out_dir, "persistence-raw.csv"))
    restarts = {r["server"]: r for r in read_rows(os.path.join(a.out_dir,
                                                               "persistence-restart.csv"))}
    md = ["### Persistence: appendonly yes, pylond next to redis-server", "",
          "`pylon-loadgen -c {} -n {:,}`, random keys below 100,000, 100-byte values; Q.PUSH's"
          " Redis counterpart is XADD (Streams). Both logs on the same disk; median of {}"
          " rounds.".format(a.clients, a.requests, rows[0][-1] if rows else 0), ""]
    md += table(["row", "-P", "redis ops/s", "pylond ops/s", "ratio pylond/redis",
                 "p99 ms redis / pylond"],
                [[r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]), "%.2f" % r[4],
                  "%.3f / %.3f" % (r[7], r[8])] for r in rows], "lrrrrr")
    md += [""]
    if restarts:
        md += ["Restart on a log of {:,} keys (100-byte values), from the process's start to"
               " its first answer that is not -LOADING:".format(int(restarts["pylond"]["keys"])), ""]
        md += table(["server", "log bytes", "restart ms", "keys back (DBSIZE)"],
                    [[s, "{:,}".format(int(restarts[s]["log_bytes"])),
                      "{:,}".format(int(restarts[s]["restart_ms"])),
                      "{:,}".format(int(restarts[s]["dbsize"]))] for s in ("redis", "pylond")],
                    "lrrr")
        md += [""]
    below = ["%s -P %d (%.2f)" % (r[0], r[1], r[4]) for r in rows if not r[4] >= 1.0]
    goals = ["ops/s at least 1.0x redis-server on every row: " +
             ("yes" if not below else "no, below: " + ", ".join(below))]
    if restarts:
        rp, rr = int(restarts["pylond"]["restart_ms"]), int(restarts["redis"]["restart_ms"])
        goals.append("restart no slower than redis-server: %s (%d ms against %d ms)"
                     % ("yes" if rp <= rr else "no", rp, rr))
    finish_markdown(md, goals, [], os.path.join(a.out_dir, "persistence.md"))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "fill":
        fill(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["report"])
    ap.add_argument("out_dir")
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--clients", type=int, default=50)
    report(ap.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
