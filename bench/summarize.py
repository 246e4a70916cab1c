#!/usr/bin/python3
"""The tables of bench/run.sh, from the files of its output directory:

    summarize.py OUT_DIR [--target LABEL] [--requests N] [--clients C] [--keyspace K]
                         [--growth-requests G]

reads raw.csv (every throughput run), memory.csv and growth.csv (when those steps ran), writes
results.csv (the medians over the rounds) and summary.md (the tables in markdown), and prints the
tables on stdout.

    summarize.py OUT_DIR --ratelimit [--target LABEL] [--requests N] [--clients C] [--keyspace K]
                         [--rule RULE]

does the same for bench/ratelimit.sh: reads ratelimit-raw.csv and ratelimit-memory.csv, writes
ratelimit-results.csv and ratelimit.md.
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


def read_rows(path):
    """The rows of a CSV file as dicts; [] when the file is not there (a step that did not run)."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def finish_markdown(md, goals, notes, path):
    """Appends the goals and the notes (if any) to the markdown lines md, prints them and writes
    them to path: the end of every benchmark's summary."""
    md = md + ["Goals:", ""] + ["- " + g for g in goals] + [""]
    if notes:
        md += ["Notes:", ""] + ["- " + n for n in notes] + [""]
    text = "\n".join(md)
    print()
    print(text)
    with open(path, "w") as f:
        f.write(text)


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
    ap.add_argument("--ratelimit", action="store_true",
                    help="the tables of bench/ratelimit.sh instead")
    ap.add_argument("--rule", default="?", help="the RL.ALLOW rule of the rate-limit runs")
    ap.add_argument("--driver", default="redis-benchmark",
                    help="the load generator of the rate-limit runs")
    a = ap.parse_args()
    if a.ratelimit:
        ratelimit_main(a)
        return
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


# --- bench/ratelimit.sh ---

# The goals: RL.ALLOW rps / Lua EVALSHA rps, by pipeline depth (other depths: none);
# RL.ALLOW rps / Redis INCR rps on every row; pylond bytes per limiter / Redis's.
RL_GOAL_VS_LUA = {16: 5.0, 1: 1.5}
RL_GOAL_VS_INCR = 0.90
RL_GOAL_MEMORY = 1.0 / 3.0
RL_METRICS = METRICS + ("cpu_us_per_call", "driver_cpu_pct")
RL_DRIVER_BUSY = 90.0  # % of its core: above, the load generator rather than the server set the rps


def ratelimit_throughput(raw_path):
    """Medians per (kind, pipeline): {(kind, pipeline): {metric: median}}, the kinds pylond ran
    (in first-seen order), the pipelines, and the rounds."""
    runs = defaultdict(list)
    pylond_kinds, pipelines = [], []
    with open(raw_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["kind"], int(row["pipeline"]))
            runs[key].append(row)
            if row["server"] == "pylond" and row["kind"] not in pylond_kinds:
                pylond_kinds.append(row["kind"])
            if key[1] not in pipelines:
                pipelines.append(key[1])
    med = {k: {m: statistics.median(float(r[m]) for r in v) for m in RL_METRICS}
           for k, v in runs.items()}
    rounds = max((len(v) for v in runs.values()), default=0)
    return med, pylond_kinds, sorted(pipelines), rounds


def ratelimit_main(a):
    out = a.out_dir
    md, goals, notes = [], [], []
    nan = {m: float("nan") for m in RL_METRICS}
    med, kinds, pipelines, rounds = ratelimit_throughput(os.path.join(out, "ratelimit-raw.csv"))
    # [pipeline, kind, pylond rps, x lua, x incr, lua rps, incr rps, CPU us/call of pylond,
    #  lua, incr, p99 of pylond, lua, incr]
    rows = []
    for p in pipelines:
        lua, incr = med.get(("lua", p), nan), med.get(("incr", p), nan)
        for k in kinds:
            m = med.get((k, p), nan)
            rows.append([p, k, m["rps"], ratio(m["rps"], lua["rps"]),
                         ratio(m["rps"], incr["rps"]), lua["rps"], incr["rps"]] +
                        [x["cpu_us_per_call"] for x in (m, lua, incr)] +
                        [x["p99_latency_ms"] for x in (m, lua, incr)])
    with open(os.path.join(out, "ratelimit-results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["pipeline", "algorithm", "pylond_rps", "ratio_lua", "ratio_incr",
                    "redis_lua_rps", "redis_incr_rps", "pylond_cpu_us_per_call",
                    "redis_lua_cpu_us_per_call", "redis_incr_cpu_us_per_call", "pylond_p99_ms",
                    "redis_lua_p99_ms", "redis_incr_p99_ms", "rounds"])
        for r in rows:
            w.writerow([r[0], r[1], "%.0f" % r[2], "%.3f" % r[3], "%.3f" % r[4], "%.0f" % r[5],
                        "%.0f" % r[6]] + ["%.3f" % x for x in r[7:13]] + [rounds])

    print()
    print("pylond = %s" % a.target)
    header = ["-P", "RL.ALLOW ALGO", "pylond rps", "x Lua", "x INCR", "Lua rps", "INCR rps",
              "pylond us", "Lua us", "INCR us"]
    cells = [[str(r[0]), r[1], "{:,.0f}".format(r[2]), "%.2f" % r[3], "%.2f" % r[4],
              "{:,.0f}".format(r[5]), "{:,.0f}".format(r[6]), "%.2f" % r[7], "%.2f" % r[8],
              "%.2f" % r[9]] for r in rows]
    if rows:
        setup = ("rate limiting: %s -c %s -n %s -r %s, median of %d rounds;"
                 " pylond RL.ALLOW rl:<algo>:<rand> %s ALGO <algo>; redis-server EVALSHA of"
                 " bench/token_bucket.lua (the same rule) and INCR rl:incr:<rand>; x Lua, x INCR:"
                 " pylond rps / redis-server's; us: the server's CPU time per call, in"
                 " microseconds"
                 % (a.driver, a.clients, a.requests, a.keyspace, rounds, a.rule))
        print(setup)
        fmt = "%3s %-13s %11s %6s %6s %11s %11s %9s %7s %7s"
        print(fmt % tuple(header))
        for c in cells:
            print(fmt % tuple(c))
        print()
        md += ["### Rate limiting: RL.ALLOW vs a Lua token bucket", "",
               upper_first(setup.split(": ", 1)[1]) + "; pylond = " + a.target + ".", ""]
        md += table(header, cells, "rlrrrrrrrr")
        md.append("")
        for p in pipelines:
            goal = RL_GOAL_VS_LUA.get(p)
            if goal is None:
                continue
            below = ["%s (%.3f)" % (r[1], r[3]) for r in rows if r[0] == p and not r[3] >= goal]
            goals.append("RL.ALLOW >= %.1fx the Lua script at -P %d: %s" % (
                goal, p, "yes" if not below else "no, below: " + ", ".join(below)))
        below = ["%s -P %d (%.3f)" % (r[1], r[0], r[4]) for r in rows
                 if not r[4] >= RL_GOAL_VS_INCR]
        goals.append("RL.ALLOW within 10%% of redis INCR (>= %.2fx) on every row: %s" % (
            RL_GOAL_VS_INCR, "yes" if not below else "no, below: " + ", ".join(below)))
        # Not goals, but what the rps cannot show when the load generator is the bottleneck.
        for p in pipelines:
            notes.append("server CPU per call at -P %d, Lua script / RL.ALLOW: %s; redis INCR /"
                         " RL.ALLOW: %s" % (p, ", ".join(
                             "%s %.2f" % (r[1], ratio(r[8], r[7])) for r in rows if r[0] == p),
                             ", ".join("%s %.2f" % (r[1], ratio(r[9], r[7]))
                                       for r in rows if r[0] == p)))
        busy = ["-P %d %s (%.0f%%)" % (p, k, med[(k, p)]["driver_cpu_pct"])
                for p in pipelines for k in ["lua", "incr"] + kinds
                if (k, p) in med and med[(k, p)]["driver_cpu_pct"] >= RL_DRIVER_BUSY]
        if busy:
            notes.append("%s used >= %.0f%% of its core (its ceiling, not the"
                         " server's, set those rps; read the CPU per call): %s"
                         % (a.driver, RL_DRIVER_BUSY, ", ".join(busy)))

    mem = read_by_server(os.path.join(out, "ratelimit-memory.csv"))
    if mem:
        keys = int(mem["redis"]["keys"])
        mrows = []
        for label, field in (("used_memory", "used_memory_per_key"), ("RSS", "rss_per_key")):
            r, p = float(mem["redis"][field]), float(mem["pylond"][field])
            mrows.append([label, r, p, ratio(p, r)])
        setup = ("memory: bytes per limiter key, (after - before) / %s, one admitted call on each"
                 " of %s keys rl:%%012d in an empty server: pylond %s, redis %s"
                 % ("{:,}".format(keys), "{:,}".format(keys), mem["pylond"]["command"],
                    mem["redis"]["command"]))
        print(setup)
        fmt = "%-12s %12s %12s %8s"
        print(fmt % ("measure", "redis B/key", "pylond B/key", "py/redis"))
        for r in mrows:
            print(fmt % (r[0], "%.1f" % r[1], "%.1f" % r[2], "%.2f" % r[3]))
        print()
        md += ["### Memory per limiter", "", upper_first(setup.split(": ", 1)[1]) +
               " (DBSIZE checked); used_memory is each server's own count, RSS is"
               " /proc/PID/status VmRSS.", ""]
        md += table(["measure", "redis bytes/key", "pylond bytes/key", "ratio pylond/redis"],
                    [[r[0], "%.1f" % r[1], "%.1f" % r[2], "%.2f" % r[3]] for r in mrows],
                    "lrrr")
        md.append("")
        goals.append("memory per limiter <= 1/3 of the Lua hash: used_memory %s (%.3f), RSS %s"
                     " (%.3f)" % ("yes" if mrows[0][3] <= RL_GOAL_MEMORY else "no", mrows[0][3],
                                  "yes" if mrows[1][3] <= RL_GOAL_MEMORY else "no",
                                  mrows[1][3]))

    if goals:
        print("rate-limit goals (pylond = %s):" % a.target)
        for g in goals:
            print("  " + g)
        print()
        md += ["Goals:", ""] + ["- " + g for g in goals] + [""]
    if notes:
        print("notes:")
        for g in notes:
            print("  " + g)
        print()
        md += ["Notes:", ""] + ["- " + g for g in notes] + [""]
    with open(os.path.join(out, "ratelimit.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
