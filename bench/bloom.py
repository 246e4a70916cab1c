#!/usr/bin/python3
"""The tables of bench/bloom.sh, from its output directory:

    bloom.py OUT_DIR [--requests N] [--clients C] [--items R]

reads bloom-raw.csv (every run), bloom-memory.csv, and the tables pylon-bloomstat and
pylon-ringstat wrote (bloom-fp.md, ring-balance.md), writes bloom.md and prints it.

The issue's goals: BF.ADD and BF.EXISTS at least 3x the Lua baseline at pipeline 16; the
filter's memory within 5 % of the formula (capacity x -ln(error) / ln(2)^2 bits). RING.LOCATE
is reported next to its own Lua baseline (a sorted set of ketama points), without a goal.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table, throughput  # noqa: E402

GOAL_RATIO = 3.0
GOAL_MEMORY = 0.05


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--items", type=int, default=20000000)
    ap.add_argument("--ring-nodes", type=int, default=100)
    a = ap.parse_args()
    rows = throughput(os.path.join(a.out_dir, "bloom-raw.csv"))
    mem = read_rows(os.path.join(a.out_dir, "bloom-memory.csv"))[0]
    capacity, error = int(mem["capacity"]), float(mem["error"])
    md = ["### Bloom filters and rings next to Lua in redis-server", "",
          "One filter of capacity {:,} at error {} in each server: pylond `BF.RESERVE ... "
          "NONSCALING`, redis-server `bench/bloom.lua` (SETBIT / GETBIT over one string) with the"
          " same m = {:,} bits and k = {} hashes, both half full before the timed runs. A ring of"
          " {} nodes: pylond `RING.ADD` (ketama), redis-server `bench/ring_locate.lua` over a"
          " sorted set of 160 points a node. `pylon-loadgen -c {} -n {:,}`, random items below"
          " {:,}; median of {} rounds."
          .format(capacity, error, int(mem["bits"]), mem["hashes"], a.ring_nodes, a.clients,
                  a.requests, a.items, rows[0][-1] if rows else 0), ""]
    md += table(["row", "-P", "redis ops/s (Lua)", "pylond ops/s", "ratio pylond/redis",
                 "p99 ms redis / pylond"],
                [[r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]), "%.2f" % r[4],
                  "%.3f / %.3f" % (r[7], r[8])] for r in rows], "lrrrrr")
    formula_bits = capacity * -math.log(error) / math.log(2) ** 2
    size = int(mem["pylond_size"])
    minimum_bits = capacity * -math.log2(error)
    md += ["", "Memory of the filter:", ""]
    md += table(["", "bytes", "bits per item", "vs the formula"],
                [["formula: n x -ln(e) / ln(2)^2", "{:,.0f}".format(formula_bits / 8),
                  "%.2f" % (formula_bits / capacity), "1.000"],
                 ["pylond BF.INFO SIZE", "{:,}".format(size), "%.2f" % (8.0 * size / capacity),
                  "%.4f" % (8.0 * size / formula_bits)],
                 ["redis-server's string (STRLEN)", "{:,}".format(int(mem["redis_strlen"])),
                  "%.2f" % (8.0 * int(mem["redis_strlen"]) / capacity),
                  "%.4f" % (8.0 * int(mem["redis_strlen"]) / formula_bits)],
                 ["information-theoretic minimum: n x log2(1/e)",
                  "{:,.0f}".format(minimum_bits / 8), "%.2f" % (minimum_bits / capacity),
                  "%.3f" % (minimum_bits / formula_bits)]], "lrrr")
    md += [""]
    for name, title in (("bloom-fp.md", "False-positive rates as measured (`pylon-bloomstat`:"
                         " 1,000,000 items never added, looked up after the filter was filled):"),
                        ("ring-balance.md", "Rings: balance and key movement (`pylon-ringstat`)")):
        path = os.path.join(a.out_dir, name)
        if os.path.exists(path):
            with open(path) as f:
                md += [title, "", f.read().strip(), ""]
    p16 = [r for r in rows if r[1] == 16 and r[0].startswith("BF.")]
    below = ["%s (%.2f)" % (r[0], r[4]) for r in p16 if not r[4] >= GOAL_RATIO]
    goals = ["BF.ADD and BF.EXISTS at least %gx the Lua baseline at -P 16: %s" % (
        GOAL_RATIO, "yes (%s)" % ", ".join("%s %.2f" % (r[0], r[4]) for r in p16)
        if not below else "no, below: " + ", ".join(below)),
        "memory within %d %% of the formula: %s (%.4f)" % (
            100 * GOAL_MEMORY, "yes" if abs(8.0 * size / formula_bits - 1) <= GOAL_MEMORY
            else "no", 8.0 * size / formula_bits)]
    notes = ["a Bloom filter needs 1.44x the information-theoretic minimum bits (log2(e) per"
             " bit of information); reaching the minimum takes other structures (e.g. a"
             " compressed or xor filter), not a better-sized Bloom filter"]
    finish_markdown(md, goals, notes, os.path.join(a.out_dir, "bloom.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
