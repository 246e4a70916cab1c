#!/usr/bin/python3
"""The tables of bench/queue.sh, from its output directory:

    queue.py OUT_DIR [--target LABEL] [--rounds R] [--cycles N] [--size BYTES]

reads queue-raw.csv (every run of pylon-queuegen) and queue-memory.csv, writes queue-results.csv
(the table's rows) and queue.md, and prints the same markdown. The issue's goals: pylond's queue
moves at least 2x the messages per second of Redis Streams, with at most Redis's bytes per
message.
"""

import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, ratio, read_rows, table  # noqa: E402

GOAL_RATE = 2.0
GOAL_MEMORY = 1.0
BUSY = 90.0  # % of a core: a driver this busy next to a server that is not set the rate
SERVERS = ("pylond", "redis")
FIELDS = ("msgs_per_sec", "p50_latency_ms", "p99_latency_ms", "server_cpu_us_per_msg",
          "driver_cpu_pct")


def server_busy(run):
    """How busy a run kept the server's core, in %: CPU per message x messages per second."""
    return float(run["msgs_per_sec"]) * float(run["server_cpu_us_per_msg"]) / 1e4


def cycle_rows(raw):
    """One dict per worker count: medians per server, and the ratio's range over the rounds."""
    runs = defaultdict(dict)  # workers -> round -> server -> row
    for row in raw:
        runs[int(row["workers"])].setdefault(row["round"], {})[row["server"]] = row
    rows = []
    for workers in sorted(runs):
        rounds = [r for r in runs[workers].values() if all(s in r for s in SERVERS)]
        m = {(s, f): statistics.median(float(r[s][f]) for r in rounds)
             for s in SERVERS for f in FIELDS}
        for s in SERVERS:
            m[(s, "server_busy_pct")] = statistics.median(server_busy(r[s]) for r in rounds)
        per_round = [ratio(float(r["pylond"]["msgs_per_sec"]), float(r["redis"]["msgs_per_sec"]))
                     for r in rounds]
        driver_bound = ["%s %s (driver %.0f%%, server %.0f%%)"
                        % (s, workers_label(workers), float(r[s]["driver_cpu_pct"]),
                           server_busy(r[s]))
                        for r in rounds for s in SERVERS
                        if float(r[s]["driver_cpu_pct"]) >= BUSY and server_busy(r[s]) < BUSY]
        rows.append({"workers": workers, "m": m,
                     "ratio": ratio(m[("pylond", "msgs_per_sec")], m[("redis", "msgs_per_sec")]),
                     "low": min(per_round), "high": max(per_round),
                     "driver_bound": driver_bound,
                     "empty": sum(int(r[s]["empty_pops"]) for r in rounds for s in SERVERS)})
    return rows


def memory_rows(mem):
    """[label, pylond, redis, ratio] for used_memory and RSS, or [] without both servers."""
    by = {r["server"]: r for r in mem}
    if not all(s in by for s in SERVERS):
        return []
    n = int(by["pylond"]["messages"])
    out = []
    for label, field in (("used_memory", "used_memory_per_msg"), ("RSS", "rss_per_msg")):
        p, r = float(by["pylond"][field]), float(by["redis"][field])
        out.append(["memory, {:,} queued messages: {} bytes/msg".format(n, label), p, r,
                    ratio(p, r)])
    return out


def workers_label(w):
    return "%d worker%s" % (w, "" if w == 1 else "s")


def write_results(path, cycles, memory):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "pylond", "redis", "ratio", "ratio_min", "ratio_max"])
        for r in cycles:
            w.writerow(["cycle %d workers msgs/s" % r["workers"],
                        "%.0f" % r["m"][("pylond", "msgs_per_sec")],
                        "%.0f" % r["m"][("redis", "msgs_per_sec")], "%.3f" % r["ratio"],
                        "%.3f" % r["low"], "%.3f" % r["high"]])
        for label, p, r, q in memory:
            w.writerow([label, "%.1f" % p, "%.1f" % r, "%.3f" % q, "", ""])


def detail_table(cycles):
    """Markdown: latencies, server CPU per message, and how busy each core was."""
    md = ["Per row, medians, pylond / redis: cycle latency (push sent to ack answered) in ms; the"
          " server's CPU time per message in us, and how busy that kept its core (CPU per"
          " message x messages per second); how busy the driver's core was.", ""]
    rows = []
    for r in cycles:
        def pair(field, fmt):
            return " / ".join(fmt % r["m"][(s, field)] for s in SERVERS)
        rows.append([workers_label(r["workers"]), pair("p50_latency_ms", "%.3f"),
                     pair("p99_latency_ms", "%.3f"), pair("server_cpu_us_per_msg", "%.1f"),
                     pair("server_busy_pct", "%.0f%%"), pair("driver_cpu_pct", "%.0f%%")])
    md += table(["row", "p50 ms", "p99 ms", "server CPU us/msg", "server core busy",
                 "driver core busy"], rows, "lrrrrr")
    return md + [""]


def goals_and_notes(cycles, memory):
    goals, notes = [], []
    if cycles:
        below = ["%s (%.2f)" % (workers_label(r["workers"]), r["ratio"]) for r in cycles
                 if not r["ratio"] >= GOAL_RATE]
        goals.append("msgs/s >= %.0fx Redis Streams on every row: %s"
                     % (GOAL_RATE, "yes" if not below else "no, below: " + ", ".join(below)))
        cpu = ", ".join("%s %.2fx" % (workers_label(r["workers"]),
                                      ratio(r["m"][("redis", "server_cpu_us_per_msg")],
                                            r["m"][("pylond", "server_cpu_us_per_msg")]))
                        for r in cycles)
        notes.append("server CPU per message, redis / pylond: " + cpu)
    if memory:
        goals.append("bytes per message <= Redis Streams': used_memory %s (%.3f), RSS %s (%.3f)"
                     % ("yes" if memory[0][3] <= GOAL_MEMORY else "no", memory[0][3],
                        "yes" if memory[1][3] <= GOAL_MEMORY else "no", memory[1][3]))
    bound = [x for r in cycles for x in r["driver_bound"]]
    if bound:
        notes.append("runs where the driver's core was at least %.0f%% busy and the server's"
                     " was not, so that the driver set their rate (compare the CPU per"
                     " message): %s" % (BUSY, ", ".join(bound)))
    empty = sum(r["empty"] for r in cycles)
    if empty:
        notes.append("%d pops found nothing and were sent again" % empty)
    return goals, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--target", default="pylond")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--cycles", default="?")
    ap.add_argument("--size", default="100")
    a = ap.parse_args()
    cycles = cycle_rows(read_rows(os.path.join(a.out_dir, "queue-raw.csv")))
    memory = memory_rows(read_rows(os.path.join(a.out_dir, "queue-memory.csv")))
    write_results(os.path.join(a.out_dir, "queue-results.csv"), cycles, memory)

    md = ["### Queues: pylond next to Redis Streams", "",
          "Each worker connection loops push one %s-byte message, pop one, ack it (three round"
          " trips): pylond `Q.PUSH`, `Q.POP COUNT 1 LEASE 60000`, `Q.ACK`; Redis `XADD`,"
          " `XREADGROUP GROUP g c<N> COUNT 1`, `XACK`. %s cycles a run, median of %s rounds;"
          " the ratio is pylond / redis, of the medians (in brackets: its lowest and highest"
          " over the rounds). Memory: one queue of that many %s-byte messages in an empty"
          " server, (after - before) / messages.%s"
          % (a.size, a.cycles, a.rounds, a.size,
             "" if a.target == "pylond" else " The pylond column is %s." % a.target), ""]
    cells = [["cycle (push, pop, ack), %s: msgs/s" % workers_label(r["workers"]),
              "{:,.0f}".format(r["m"][("pylond", "msgs_per_sec")]),
              "{:,.0f}".format(r["m"][("redis", "msgs_per_sec")]),
              "%.2f (%.2f–%.2f)" % (r["ratio"], r["low"], r["high"])] for r in cycles]
    cells += [[label, "%.1f" % p, "%.1f" % r, "%.2f" % q] for label, p, r, q in memory]
    md += table(["row", "pylond", "redis", "ratio pylond/redis (min–max)"], cells, "lrrr")
    md.append("")
    if cycles:
        md += detail_table(cycles)
    goals, notes = goals_and_notes(cycles, memory)
    finish_markdown(md, goals, notes, os.path.join(a.out_dir, "queue.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
