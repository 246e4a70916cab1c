#!/usr/bin/python3
"""The table of bench/resilience.sh, from its output directory:

    resilience.py OUT_DIR [--requests N] [--clients C] [--keys K]

reads resilience-raw.csv (every run), writes resilience.md and prints it: per row and pipeline
depth, the median ops/s, and its ratio to redis-server's INCR at the same depth (the issue's
goal: within 10 %, a ratio of at least 0.90).
"""

import argparse
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table  # noqa: E402

GOAL = 0.90


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keys", type=int, default=1000)
    a = ap.parse_args()
    runs = defaultdict(list)
    order = []
    for r in read_rows(os.path.join(a.out_dir, "resilience-raw.csv")):
        key = (r["test"], r["server"], int(r["pipeline"]))
        if key not in order:
            order.append(key)
        runs[key].append(r)

    def median(key, metric):
        return statistics.median(float(r[metric]) for r in runs[key])

    rows, below = [], []
    for key in sorted(order, key=lambda k: k[2]):
        test, server, pipeline = key
        incr = median(("INCR", "redis", pipeline), "rps")
        rps = median(key, "rps")
        rows.append([test, server, pipeline, "{:,.0f}".format(rps), "%.2f" % (rps / incr),
                     "%.3f" % median(key, "p50_latency_ms"), "%.3f" % median(key, "p99_latency_ms")])
        if server == "pylond" and test != "INCR" and rps / incr < GOAL:
            below.append("%s -P %d (%.2f)" % (test, pipeline, rps / incr))
    md = ["### Resilience primitives next to redis-server's INCR", "",
          "`pylon-loadgen -c {} -n {:,}`, random keys below {:,}; median of {} rounds. The ratio"
          " is to redis-server's INCR at the same pipeline depth.".format(
              a.clients, a.requests, a.keys, len(runs[order[0]]) if order else 0), ""]
    md += table(["row", "server", "-P", "ops/s", "ratio to redis INCR", "p50 ms", "p99 ms"], rows,
                "llrrrrr")
    md += [""]
    goals = ["every pylond row within 10 %% of redis-server's INCR (ratio >= %.2f): %s" % (
        GOAL, "yes" if not below else "no, below: " + ", ".join(below))]
    finish_markdown(md, goals, [], os.path.join(a.out_dir, "resilience.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
