#!/usr/bin/python3
"""The tables of bench/scripting.sh, from its output directory:

    scripting_report.py OUT_DIR [--target LABEL] [--requests N] [--clients C] [--keys K]

reads scripting-raw.csv (every load run) and scripting-memory.csv, writes scripting-results.csv
(the medians over the rounds) and scripting.md, and prints the tables.

The goals (issue 24): pylond's EVALSHA at least 1.0x redis-server's on every row, 1.2x at pipeline
16; RL.ALLOW at least 5x the token-bucket script on pylond's own Lua.
"""

import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table, throughput  # noqa: E402

GOAL_P1, GOAL_P16, GOAL_NATIVE = 1.0, 1.2, 5.0
NATIVE = "RL.ALLOW ALGO token"
BUCKET = "EVALSHA token_bucket.lua"
MEASURES = ("used_memory", "used_memory_vm_eval", "used_memory_scripts_eval", "rss")


def goal_ratio(pipeline):
    return GOAL_P16 if pipeline >= 16 else GOAL_P1


def cpu_per_call(path):
    """{(test, pipeline, server): median server CPU time per call in microseconds}."""
    runs = defaultdict(list)
    for r in read_rows(path):
        runs[(r["test"], int(r["pipeline"]), r["server"])].append(int(r["cpu_ns_per_call"]))
    return {k: statistics.median(v) / 1000 for k, v in runs.items()}


def cpu_pair(cpu, a, b):
    return "%.1f / %.1f" % (cpu.get(a, float("nan")), cpu.get(b, float("nan")))


def cpu_ratio(cpu, a, b):
    """CPU per call of a over b: the throughput ratio b/a would reach if the server's core were
    the only limit (at -P 16 it nearly is; at -P 1 the round trips are)."""
    x, y = cpu.get(a), cpu.get(b)
    return "%.2f" % (x / y) if x and y else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--target", default="pylond")
    ap.add_argument("--requests", type=int, default=0)
    ap.add_argument("--requests-pipelined", type=int, default=0)
    ap.add_argument("--window-max", type=int, default=0)
    ap.add_argument("--clients", type=int, default=0)
    ap.add_argument("--keys", type=int, default=0)
    a = ap.parse_args()
    rows = throughput(os.path.join(a.out_dir, "scripting-raw.csv"))
    cpu = cpu_per_call(os.path.join(a.out_dir, "scripting-cpu.csv"))
    with open(os.path.join(a.out_dir, "scripting-results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["test", "pipeline", "redis_rps", "pylond_rps", "ratio", "redis_p50_ms",
                    "pylond_p50_ms", "redis_p99_ms", "pylond_p99_ms", "rounds"])
        for r in rows:
            w.writerow([r[0], r[1], "%.0f" % r[2], "%.0f" % r[3], "%.3f" % r[4]] +
                       ["%.3f" % x for x in r[5:9]] + [r[9]])

    md = ["### Scripting: EVALSHA next to redis-server", ""]
    if a.target != "pylond":
        md += ["pylond = %s" % a.target, ""]
    misses = []
    md += ["Throughput: `pylon-loadgen`, {} clients, {:,} requests a run at -P 1 and {:,} at "
           "-P 16 (the moving window: at most {:,}), median of {} rounds; CPU: the server's CPU "
           "time (schedstat) over a run / its requests, median; CPU ratio: the first CPU over "
           "the second, what the ops/s ratio would be if only the server's core limited it. "
           "Token bucket: {:,} random keys; "
           "moving window (`limits`' acquire_moving_window.lua, 1000 per 60 s): one key per "
           "client, each holding 1000 expired entries when the run starts, every hit admitted."
           .format(a.clients, a.requests, a.requests_pipelined, a.window_max,
                   rows[0][9] if rows else 0, a.keys), ""]
    script_rows = [r for r in rows if r[0] != NATIVE]
    md += table(["script", "-P", "redis ops/s", "pylond ops/s", "ratio", "goal",
                 "p99 ms redis / pylond", "CPU µs/call redis / pylond", "CPU ratio"],
                [[r[0], r[1], "{:,.0f}".format(r[2]), "{:,.0f}".format(r[3]), "%.2f" % r[4],
                  "%.1f" % goal_ratio(r[1]), "%.3f / %.3f" % (r[7], r[8]),
                  cpu_pair(cpu, (r[0], r[1], "redis"), (r[0], r[1], "pylond")),
                  cpu_ratio(cpu, (r[0], r[1], "redis"), (r[0], r[1], "pylond"))]
                 for r in script_rows], "lrrrrrrrr")
    misses += ["%s -P %d: %.2fx redis-server (goal %.1fx)" % (r[0], r[1], r[4], goal_ratio(r[1]))
               for r in script_rows if not r[4] >= goal_ratio(r[1])]
    md.append("")

    # RL.ALLOW against the token bucket script, both on pylond.
    bucket = {r[1]: r[3] for r in rows if r[0] == BUCKET}
    native_rows = []
    for r in rows:
        if r[0] == NATIVE and r[1] in bucket:
            x = r[3] / bucket[r[1]]
            native_rows.append([r[1], "{:,.0f}".format(bucket[r[1]]), "{:,.0f}".format(r[3]),
                                "%.2f" % x, "%.1f" % GOAL_NATIVE,
                                cpu_pair(cpu, (BUCKET, r[1], "pylond"), (NATIVE, r[1], "pylond")),
                                cpu_ratio(cpu, (BUCKET, r[1], "pylond"),
                                          (NATIVE, r[1], "pylond"))])
            if not x >= GOAL_NATIVE:
                misses.append("RL.ALLOW -P %d: %.2fx the token-bucket script on pylond (goal "
                              "%.1fx)" % (r[1], x, GOAL_NATIVE))
    if native_rows:
        md += ["RL.ALLOW ALGO token against the same bucket in Lua, both on pylond:", ""]
        md += table(["-P", "EVALSHA token_bucket.lua ops/s", "RL.ALLOW ops/s", "ratio", "goal",
                     "CPU µs/call script / RL.ALLOW", "CPU ratio"], native_rows, "rrrrrrr")
        md.append("")

    memory = {m["server"]: m for m in read_rows(os.path.join(a.out_dir,
                                                             "scripting-memory.csv"))}
    if "redis" in memory and "pylond" in memory:
        md += ["Memory per cached script: SCRIPT LOAD of {:,} distinct scripts "
               "`return redis.call('INCRBY', KEYS[1], <i>)`; growth of each INFO field and of "
               "the process's RSS, divided by the scripts. Redis's used_memory leaves out the Lua "
               "heap (used_memory_vm_eval), pylond's includes it: RSS is the same yardstick for "
               "both.".format(int(memory["redis"]["scripts"])), ""]
        mem_rows = []
        for field in MEASURES:
            rb = float(memory["redis"][field + "_per_script"])
            pb = float(memory["pylond"][field + "_per_script"])
            mem_rows.append([field, "%.1f" % rb, "%.1f" % pb,
                             "%.2f" % (pb / rb) if rb else "-"])
        md += table(["bytes per script", "redis", "pylond", "ratio"], mem_rows, "lrrr")
        md.append("")

    goals = ["EVALSHA throughput at least %.1fx redis-server at pipeline 1 and %.1fx at 16 on "
             "every row" % (GOAL_P1, GOAL_P16),
             "RL.ALLOW at least %.1fx the token-bucket script on pylond's own Lua" % GOAL_NATIVE]
    notes = ["not met: " + m for m in misses] if misses else ["every goal met in this run"]
    finish_markdown(md, goals, notes, os.path.join(a.out_dir, "scripting.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
