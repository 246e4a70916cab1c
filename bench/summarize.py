#!/usr/bin/python3
"""The tables of bench/run.sh, from the files of its output directory:

    summarize.py OUT_DIR [--target LABEL] [--requests N] [--clients C] [--keyspace K]
                         [--growth-requests G]

reads raw.csv (every throughput run), memory.csv and growth.csv (when those steps ran), writes
results.csv (the medians over the rounds) and summary.md (the tables in markdown), and prints the
tables on stdout.
"""

import argparse
import csv
import os
import statistics
from collections import defaultdict

METRICS = ("rps", "p50_latency_ms", "p99_latency_ms")
SERVERS = ("redis", "pylond")


def ratio(a, b):
    return a / b if b else float("nan")


def throughput(raw_path):
    """Rows of medians: [test, pipeline, redis rps, pylond rps, ratio, 4 latencies, rounds]."""
    runs = defaultdict(list)  # (test, pipeline, server) -> [row, ...]
    order = []                # (test, pipeline) in first-seen order (BENCH_TESTS order)
    with open(raw_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["test"], int(row["pipeline"]))
            if key not in order:
                order.append(key)
            runs[key + (row["server"],)].append(row)

    def median(test, pipeline, server, metric):
        values = [float(r[metric]) for r in runs[(test, pipeline, server)]]
        return statistics.median(values) if values else float("nan")

    rows = []
    for test, pipeline in sorted(order, key=lambda k: k[1]):  # stable: tests keep their order
        m = {(s, x): median(test, pipeline, s, x) for s in SERVERS for x in METRICS}
        rows.append([test, pipeline, m[("redis", "rps")], m[("pylond", "rps")],
                     ratio(m[("pylond", "rps")], m[("redis", "rps")]),
                     m[("redis", "p50_latency_ms")], m[("pylond", "p50_latency_ms")],
                     m[("redis", "p99_latency_ms")], m[("pylond", "p99_latency_ms")],
                     len(runs[(test, pipeline, "redis")])])
    return rows


def read_by_server(path):
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        rows = {r["server"]: r for r in csv.DictReader(f)}
    return rows if all(s in rows for s in SERVERS) else None


def upper_first(text):
    return text[:1].upper() + text[1:]


def table(header, rows, align):
    """A markdown table; align is a string of 'l'/'r', one per column."""
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--target", default="pylond")
    ap.add_argument("--requests", default="?")
    ap.add_argument("--clients", default="?")
    ap.add_argument("--keyspace", default="?")
    ap.add_argument("--growth-requests", default="?")
    a = ap.parse_args()
    out = a.out_dir
    md = []  # summary.md
    goals = []  # lines of the goal check

    # --- throughput ---
    rows = throughput(os.path.join(out, "raw.csv"))
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["test", "pipeline", "redis_rps", "pylond_rps", "ratio", "redis_p50_ms",
                    "pylond_p50_ms", "redis_p99_ms", "pylond_p99_ms", "rounds"])
        for r in rows:
            w.writerow([r[0], r[1], "%.0f" % r[2], "%.0f" % r[3], "%.3f" % r[4]] +
                       ["%.3f" % x for x in r[5:9]] + [r[9]])

    print()
    print("pylond = %s" % a.target)
    if rows:
        setup = ("redis-benchmark -c %s -n %s -r %s, median of %d rounds; latencies in ms"
                 % (a.clients, a.requests, a.keyspace, rows[0][9]))
        print("throughput: " + setup)
        fmt = "%-15s %3s %12s %12s %8s %8s %8s %8s %8s"
        print(fmt % ("test", "-P", "redis rps", "pylond rps", "ratio", "redis", "pylond", "redis",
                     "pylond"))
        print(fmt % ("", "", "", "", "py/redis", "p50", "p50", "p99", "p99"))
        for r in rows:
            print(fmt % (r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]),
                         "%.2f" % r[4], "%.3f" % r[5], "%.3f" % r[6], "%.3f" % r[7],
                         "%.3f" % r[8]))
        md += ["### Throughput", "", setup + "; pylond = " + a.target + ".", ""]
        md += table(["test", "-P", "redis rps", "pylond rps", "ratio pylond/redis",
                     "redis p50", "pylond p50", "redis p99", "pylond p99"],
                    [[r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]),
                      "%.2f" % r[4], "%.3f" % r[5], "%.3f" % r[6], "%.3f" % r[7],
                      "%.3f" % r[8]] for r in rows], "lrrrrrrrr")
        md.append("")
        below = ["%s -P %d (%.3f)" % (r[0], r[1], r[4]) for r in rows
                 if not r[4] >= 1.0]
        goals.append("throughput >= 1.00x redis on every row: " +
                     ("yes" if not below else "no, below: " + ", ".join(below)))

    # --- memory ---
    mem = read_by_server(os.path.join(out, "memory.csv"))
    if mem:
        keys = int(mem["redis"]["keys"])
        per = {(s, m): float(mem[s][m]) for s in SERVERS
               for m in ("used_memory_per_key", "rss_per_key")}
        mrows = [["used_memory", per[("redis", "used_memory_per_key")],
                  per[("pylond", "used_memory_per_key")]],
                 ["RSS", per[("redis", "rss_per_key")], per[("pylond", "rss_per_key")]]]
        for r in mrows:
            r.append(ratio(r[2], r[1]))
        setup = ("memory: bytes per key, (after - before) / %s, loading %s keys of 16 bytes with"
                 " 16-byte values into an empty server" % ("{:,}".format(keys),
                                                          "{:,}".format(keys)))
        print(setup)
        fmt = "%-12s %12s %12s %8s"
        print(fmt % ("measure", "redis B/key", "pylond B/key", "py/redis"))
        for r in mrows:
            print(fmt % (r[0], "%.1f" % r[1], "%.1f" % r[2], "%.2f" % r[3]))
        print()
        md += ["### Memory per key", "", upper_first(setup.split(": ", 1)[1]) +
               " (DBSIZE checked); used_memory is each server's own count (Redis: jemalloc,"
               " pylond: glibc malloc), RSS is /proc/PID/status VmRSS.", ""]
        md += table(["measure", "redis bytes/key", "pylond bytes/key", "ratio pylond/redis"],
                    [[r[0], "%.1f" % r[1], "%.1f" % r[2], "%.2f" % r[3]] for r in mrows],
                    "lrrr")
        md.append("")
        goals.append("memory per key <= redis: used_memory %s (%.3f), RSS %s (%.3f)"
                     % ("yes" if mrows[0][3] <= 1.0 else "no", mrows[0][3],
                        "yes" if mrows[1][3] <= 1.0 else "no", mrows[1][3]))

    # --- growth ---
    gro = read_by_server(os.path.join(out, "growth.csv"))
    if gro:
        setup = ("growth: SET from an empty server, %s requests with random keys out of 10^9"
                 " (redis-benchmark -c 4 -P 16 -r 1000000000); latencies in ms"
                 % ("{:,}".format(int(a.growth_requests)) if a.growth_requests.isdigit()
                    else a.growth_requests))
        print(setup)
        fmt = "%-8s %10s %8s %10s %8s %8s %8s %8s"
        print(fmt % ("server", "keys", "seconds", "SET/s", "p50", "p99", "p99.9", "max"))
        grows = []
        for s in SERVERS:
            g = gro[s]
            grows.append([s, "{:,}".format(int(g["keys"])), g["seconds"],
                          "{:,.0f}".format(float(g["rps"])), g["p50_ms"], g["p99_ms"],
                          g["p999_ms"], g["max_ms"]])
            print(fmt % tuple(grows[-1]))
        print()
        md += ["### Latency while the key space grows", "",
               upper_first(setup.split(": ", 1)[1]) + "; keys is DBSIZE at the end; max is the"
               " worst single request.", ""]
        md += table(["server", "keys", "seconds", "SET/s", "p50", "p99", "p99.9", "max"],
                    grows, "lrrrrrrr")
        md.append("")
        mx = {s: float(gro[s]["max_ms"]) for s in SERVERS}
        goals.append("worst single-request latency while growing: redis %.1f ms, pylond %.1f ms"
                     % (mx["redis"], mx["pylond"]))

    if goals:
        print("goals (pylond = %s):" % a.target)
        for g in goals:
            print("  " + g)
        print()
        md += ["Goals:", ""] + ["- " + g for g in goals] + [""]
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
