#!/usr/bin/python3
"""Medians over the rounds of bench/run.sh: prints the table and writes results.csv.

    summarize.py RAW_CSV RESULTS_CSV [TARGET_LABEL]
"""

import csv
import statistics
import sys
from collections import defaultdict

METRICS = ("rps", "p50_latency_ms", "p99_latency_ms")


def main(raw_path, results_path, target_label="pylond"):
    runs = defaultdict(list)  # (test, pipeline, server) -> [row, ...]
    order = []                # (test, pipeline) in first-seen order
    with open(raw_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["test"], int(row["pipeline"]))
            if key not in order:
                order.append(key)
            runs[key + (row["server"],)].append(row)

    def median(test, pipeline, server, metric):
        values = [float(r[metric]) for r in runs[(test, pipeline, server)]]
        return statistics.median(values) if values else float("nan")

    header = ["test", "pipeline", "redis_rps", "pylond_rps", "ratio",
              "redis_p50_ms", "pylond_p50_ms", "redis_p99_ms", "pylond_p99_ms", "rounds"]
    rows = []
    for test, pipeline in sorted(order, key=lambda k: (k[1], k[0])):
        m = {(s, x): median(test, pipeline, s, x) for s in ("redis", "pylond") for x in METRICS}
        ratio = m[("pylond", "rps")] / m[("redis", "rps")] if m[("redis", "rps")] else float("nan")
        rows.append([test, pipeline, m[("redis", "rps")], m[("pylond", "rps")], ratio,
                     m[("redis", "p50_latency_ms")], m[("pylond", "p50_latency_ms")],
                     m[("redis", "p99_latency_ms")], m[("pylond", "p99_latency_ms")],
                     len(runs[(test, pipeline, "redis")])])

    with open(results_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([r[0], r[1], "%.0f" % r[2], "%.0f" % r[3], "%.3f" % r[4]] +
                       ["%.3f" % x for x in r[5:9]] + [r[9]])

    print()
    print("pylond = %s; medians of %d rounds; latencies in ms" % (target_label, rows[0][9]
                                                                  if rows else 0))
    fmt = "%-12s %3s %12s %12s %7s %8s %8s %8s %8s"
    print(fmt % ("test", "-P", "redis rps", "pylond rps", "ratio", "redis", "pylond", "redis",
                 "pylond"))
    print(fmt % ("", "", "", "", "py/redis", "p50", "p50", "p99", "p99"))
    for r in rows:
        print(fmt % (r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]),
                     "%.2f" % r[4], "%.3f" % r[5], "%.3f" % r[6], "%.3f" % r[7], "%.3f" % r[8]))
    print()


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
