#!/usr/bin/python3
"""The tables of bench/pubsub.sh, from its output directory:

    pubsub.py OUT_DIR [--rounds R] [--pipeline P]

reads pubsub-raw.csv (every run) and pubsub-memory.csv, writes pubsub-results.csv (medians) and
pubsub.md, and prints the tables. The issue's goals: pylond delivers at least as many messages per
second as redis-server on every row, and holds less memory for lagging subscribers.
"""

import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import ratio, table, upper_first  # noqa: E402

GOAL_DELIVERIES = 1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--pipeline", default="?")
    a = ap.parse_args()
    out = a.out_dir

    runs = defaultdict(list)  # (kind, subscribers, payload, server) -> [row]
    order = []
    with open(os.path.join(out, "pubsub-raw.csv"), newline="") as f:
        for row in csv.DictReader(f):
            key = (row["kind"], int(row["subscribers"]), int(row["payload"]))
            if key not in order:
                order.append(key)
            runs[key + (row["server"],)].append(row)

    def median(key, server, field):
        values = [float(r[field]) for r in runs[key + (server,)]]
        return statistics.median(values) if values else float("nan")

    rows = []
    for key in order:
        r_dps, p_dps = median(key, "redis", "delivered_per_sec"), median(key, "pylond",
                                                                         "delivered_per_sec")
        rows.append([key[0], key[1], key[2], r_dps, p_dps, ratio(p_dps, r_dps),
                     median(key, "redis", "rps"), median(key, "pylond", "rps")])
    with open(os.path.join(out, "pubsub-results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "subscribers", "payload", "redis_delivered_per_sec",
                    "pylond_delivered_per_sec", "ratio", "redis_publish_rps",
                    "pylond_publish_rps"])
        for r in rows:
            w.writerow(r[:3] + ["%.0f" % r[3], "%.0f" % r[4], "%.3f" % r[5], "%.0f" % r[6],
                                "%.0f" % r[7]])

    setup = ("pub/sub: one publisher (pylon-loadgen -c 1 -P %s) PUBLISHing to one channel; N"
             " subscribers on the channel, or on a pattern matching it; each run lasts until"
             " every subscriber has every message; median of %s rounds; deliveries/s = messages"
             " received by all subscribers per second" % (a.pipeline, a.rounds))
    header = ["subscribers", "payload", "redis deliveries/s", "pylond deliveries/s", "ratio",
              "redis publishes/s", "pylond publishes/s"]
    cells = [["%d %s" % (r[1], "on the channel" if r[0] == "channel" else "on a pattern"),
              "%d B" % r[2], "{:,.0f}".format(r[3]), "{:,.0f}".format(r[4]), "%.2f" % r[5],
              "{:,.0f}".format(r[6]), "{:,.0f}".format(r[7])] for r in rows]
    print()
    print(setup)
    fmt = "%-18s %8s %19s %20s %6s %18s %19s"
    print(fmt % tuple(header))
    for c in cells:
        print(fmt % tuple(c))
    print()
    md = ["### Pub/sub: deliveries per second", "", upper_first(setup[len("pub/sub: "):]) + ".",
          ""]
    md += table(header, cells, "lrrrrrr")
    md.append("")
    below = ["%s %d B (%.3f)" % (c[0], r[2], r[5]) for c, r in zip(cells, rows)
             if not r[5] >= GOAL_DELIVERIES]
    goals = ["deliveries/s >= 1.0x redis-server on every row: %s"
             % ("yes" if not below else "no, below: " + ", ".join(below))]

    mem = defaultdict(dict)  # server -> step -> row
    mem_path = os.path.join(out, "pubsub-memory.csv")
    if os.path.exists(mem_path):
        with open(mem_path, newline="") as f:
            for row in csv.DictReader(f):
                mem[row["server"]][row["step"]] = row
    if all(s in mem and {"idle", "lagging"} <= mem[s].keys() for s in ("redis", "pylond")):
        def grew(server, field):
            return int(mem[server]["lagging"][field]) - int(mem[server]["idle"][field])
        mrows = [[label, grew("redis", field), grew("pylond", field)]
                 for label, field in (("used_memory", "used_memory"), ("RSS", "rss_bytes"))]
        for r in mrows:
            r.append(ratio(r[2], r[1]))
        msetup = ("memory while 500 subscribers lag: they never read (4 KB receive buffers);"
                  " 6,000 messages of 1 KB published to them; growth over one idle subscriber")
        print(msetup)
        mfmt = "%-12s %14s %14s %8s"
        print(mfmt % ("measure", "redis bytes", "pylond bytes", "py/redis"))
        for r in mrows:
            print(mfmt % (r[0], "{:,}".format(r[1]), "{:,}".format(r[2]), "%.3f" % r[3]))
        print()
        md += ["### Pub/sub: memory while subscribers lag", "",
               upper_first(msetup) + ".", ""]
        md += table(["measure", "redis bytes", "pylond bytes", "ratio pylond/redis"],
                    [[r[0], "{:,}".format(r[1]), "{:,}".format(r[2]), "%.3f" % r[3]]
                     for r in mrows], "lrrr")
        md.append("")
        goals.append("less memory than redis-server for lagging subscribers: used_memory %s"
                     " (%.3f), RSS %s (%.3f)"
                     % ("yes" if mrows[0][3] < 1 else "no", mrows[0][3],
                        "yes" if mrows[1][3] < 1 else "no", mrows[1][3]))
    print("pub/sub goals:")
    for g in goals:
        print("  " + g)
    print()
    md += ["Goals:", ""] + ["- " + g for g in goals] + [""]
    with open(os.path.join(out, "pubsub.md"), "w") as f:
        f.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
