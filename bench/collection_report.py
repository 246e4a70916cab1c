#!/usr/bin/python3
"""The tables of bench/collections.sh, from its output directory:

    collection_report.py OUT_DIR [--requests N] [--clients C]

reads collections-redis-benchmark.csv (step 1: redis-benchmark's collection tests, as run.sh
summarized them),
collections-raw.csv (step 2: the large sorted set) and collections-memory.csv (step 3), writes
collections.md and prints it. Steps that did not run are left out.

The goals: throughput at least 1.0x redis-server's on every row at pipeline 1 and 1.3x at
pipeline 16; bytes per element at most redis-server's for the small collections and at most
0.75x for the large ones.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table, throughput  # noqa: E402

GOAL_P1, GOAL_P16 = 1.0, 1.3
GOAL_SMALL, GOAL_LARGE = 1.0, 0.75


def goal_ratio(pipeline):
    return GOAL_P16 if int(pipeline) >= 16 else GOAL_P1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=50)
    a = ap.parse_args()
    md = ["### Hashes, lists, sets and sorted sets next to redis-server", ""]
    misses = []

    rows = []
    for r in read_rows(os.path.join(a.out_dir, "collections-redis-benchmark.csv")):
        rows.append([r["test"], int(r["pipeline"]), float(r["redis_rps"]), float(r["pylond_rps"]),
                     float(r["ratio"]), float(r["redis_p99_ms"]), float(r["pylond_p99_ms"])])
    raw = os.path.join(a.out_dir, "collections-raw.csv")
    if os.path.exists(raw):
        rows += [[r[0], r[1], r[2], r[3], r[4], r[7], r[8]] for r in throughput(raw)]
    if rows:
        md += ["Throughput: redis-benchmark's own tests (`-r 1000000`), then `pylon-loadgen` on "
               "one large sorted set (ZADD of a random score to a random member; "
               "ZRANGEBYSCORE from a random score, LIMIT 0 10); {} clients, {:,} requests a run,"
               " median of the rounds.".format(a.clients, a.requests), ""]
        md += table(["test", "-P", "redis ops/s", "pylond ops/s", "ratio", "goal",
                     "p99 ms redis / pylond"],
                    [[r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]), "%.2f" % r[4],
                      "%.1f" % goal_ratio(r[1]), "%.3f / %.3f" % (r[5], r[6])] for r in rows],
                    "lrrrrrr")
        misses += ["%s -P %d: %.2fx (goal %.1fx)" % (r[0], r[1], r[4], goal_ratio(r[1]))
                   for r in rows if r[4] < goal_ratio(r[1])]
        md.append("")

    memory = read_rows(os.path.join(a.out_dir, "collections-memory.csv"))
    if memory:
        by = {(m["server"], m["type"], m["shape"]): m for m in memory}
        mem_rows = []
        for kind in ("hash", "list", "set", "zset"):
            for shape in ("small", "large"):
                r, p = by.get(("redis", kind, shape)), by.get(("pylond", kind, shape))
                if not r or not p:
                    continue
                rb, pb = float(r["bytes_per_element"]), float(p["bytes_per_element"])
                goal = GOAL_SMALL if shape == "small" else GOAL_LARGE
                mem_rows.append([kind, shape, "{:,}".format(int(r["elements"])),
                                 "%s / %s" % (r["encoding"], p["encoding"]), "%.1f" % rb,
                                 "%.1f" % pb, "%.2f" % (pb / rb), "%.2f" % goal])
                if pb / rb > goal:
                    misses.append("memory %s %s: %.2fx (goal %.2fx)" % (kind, shape, pb / rb, goal))
        md += ["Memory: used_memory growth per element. Small: keys of 5 elements each (16-byte "
               "members, hash fields and values; scores 1..5). Large: one key of 16-byte "
               "elements.", ""]
        md += table(["type", "shape", "elements", "encoding redis / pylond", "redis B/elem",
                     "pylond B/elem", "ratio", "goal"], mem_rows, "llrlrrrr")
        md.append("")
    goals = ["throughput at least %.1fx redis-server at pipeline 1 and %.1fx at 16 on every row"
             % (GOAL_P1, GOAL_P16),
             "memory per element at most %.2fx redis-server's for small collections, %.2fx for "
             "large ones" % (GOAL_SMALL, GOAL_LARGE)]
    notes = ["not met: " + m for m in misses] if misses else ["every goal met in this run"]
    finish_markdown(md, goals, notes, os.path.join(a.out_dir, "collections.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
