#!/usr/bin/python3
"""The tables of bench/cache.sh, from its output directory:

    cache.py OUT_DIR [--target LABEL] [--keys N] [--requests R] [--value V] [--clients C]
                     [--tput-requests T]
    cache.py OUT_DIR --best

reads cache-sizing.csv (bytes per key, maxmemory), cache-raw.csv (every replay of a trace),
cache-sim.csv (pylon-cachesim's replays at equal key counts) and cache-tput-raw.csv (every
throughput run), writes cache-results.csv (miss ratios, with the
reduction against Redis's best), cache-tput-results.csv (throughput medians) and cache.md, and
prints the same markdown. --best prints only the pylond policy with the best worst case: the
largest smallest reduction over every trace and size (the candidate for the default).

The issue's goals: the recommended policy's miss ratio at least 10 % lower (relative) than the
best of Redis's allkeys-lru and allkeys-lfu on every trace, at the same maxmemory; GET/SET at
least 1.0x Redis's while evicting, at pipeline 1 and 16.
"""

import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, ratio, read_rows, table  # noqa: E402

GOAL_REDUCTION = 0.10
GOAL_RATE = 1.0
DRIVER_BOUND = 90.0  # % of a core: a driver this busy set the rate


def first_seen(values):
    """The distinct values, in the order they first came (the script's order)."""
    return list(dict.fromkeys(values))


class HitRatios:
    """The replays, by (trace, size) and by (server, policy)."""

    def __init__(self, raw):
        self.runs = {(r["trace"], int(r["size_pct"]), r["server"], r["policy"]): r for r in raw}
        self.cells = first_seen((r["trace"], int(r["size_pct"])) for r in raw)
        self.pylond = first_seen(r["policy"] for r in raw if r["server"] == "pylond")
        self.redis = first_seen(r["policy"] for r in raw if r["server"] == "redis")

    def miss(self, cell, server, policy):
        run = self.runs.get(cell + (server, policy))
        return float(run["miss_ratio"]) if run else float("nan")

    def redis_best(self, cell):
        """(miss ratio, policy) of Redis's best policy on this trace and size."""
        return min((self.miss(cell, "redis", p), p) for p in self.redis)

    def reduction(self, cell, policy):
        """(redis_best - ours) / redis_best: above 0, pylond misses less."""
        best = self.redis_best(cell)[0]
        return ratio(best - self.miss(cell, "pylond", policy), best)

    def worst_reduction(self, policy):
        return min(self.reduction(c, policy) for c in self.cells)

    def candidate(self):
        """The pylond policy whose smallest reduction over every cell is the largest."""
        return max(self.pylond, key=self.worst_reduction) if self.pylond and self.redis else None


def agreement(raw):
    """A sentence on the driver's counts against the servers' INFO counters."""
    same = sum(1 for r in raw if (r["hits"], r["misses"]) == (r["info_hits"], r["info_misses"]))
    return ("The hits and misses the driver saw equal the growth of the server's INFO"
            " keyspace_hits / keyspace_misses on %s of the %d replays." % (
                "all" if same == len(raw) else "only %d" % same, len(raw)))


def size_label(pct):
    return "%d %%" % pct


def sizing_table(sizing, keys):
    """Markdown rows: per size, Redis's and pylond's bytes per key and the maxmemory."""
    by = {(r["server"], int(r["size_pct"])): r for r in sizing}
    rows = []
    for pct in sorted({int(r["size_pct"]) for r in sizing}):
        redis, pylond = by.get(("redis", pct)), by.get(("pylond", pct))
        if not redis or not pylond:
            continue
        limit = int(redis["used_memory_after"])
        # What pylond's own measure says it holds under that limit (the replays show the truth).
        fits = (limit - int(pylond["used_memory_before"])) / float(pylond["bytes_per_key"])
        rows.append([size_label(pct), "{:,}".format(int(redis["keys"])), "{:,}".format(limit),
                     "%.1f" % float(redis["bytes_per_key"]),
                     "%.1f" % float(pylond["bytes_per_key"]),
                     "{:,.0f} ({:.1f} %)".format(fits, 100.0 * fits / keys)])
    return table(["cache size", "keys", "maxmemory (bytes)", "redis B/key", "pylond B/key",
                  "pylond fits (est., lru)"], rows, "lrrrrr")


def miss_tables(h):
    """Markdown: the miss ratios, the reductions against Redis's best, and the keys held."""
    head = ["trace", "size"]
    miss_rows, reduction_rows, held_rows = [], [], []
    for cell in h.cells:
        best, best_policy = h.redis_best(cell)
        miss_rows.append(list(cell[:1]) + [size_label(cell[1])]
                         + ["%.4f" % h.miss(cell, "pylond", p) for p in h.pylond]
                         + ["%.4f" % h.miss(cell, "redis", p) for p in h.redis]
                         + ["%.4f (%s)" % (best, best_policy.replace("allkeys-", ""))])
        reductions = {p: h.reduction(cell, p) for p in h.pylond}
        top = max(reductions.values())
        reduction_rows.append(list(cell[:1]) + [size_label(cell[1])]
                              + [("**%+.1f %%**" if reductions[p] == top else "%+.1f %%")
                                 % (100 * reductions[p]) for p in h.pylond])
        held_rows.append(list(cell[:1]) + [size_label(cell[1])]
                         + ["{:,}".format(int(h.runs[cell + (s, p)]["dbsize"]))
                            if cell + (s, p) in h.runs else "-"
                            for s, ps in (("pylond", h.pylond), ("redis", h.redis)) for p in ps])
    names = ["pylond " + p.replace("allkeys-", "") for p in h.pylond]
    redis_names = ["redis " + p.replace("allkeys-", "") for p in h.redis]
    md = ["Miss ratio (misses / GETs after the warm-up; lower is better):", ""]
    md += table(head + names + redis_names + ["redis best"], miss_rows,
                "ll" + "r" * (len(names) + len(redis_names) + 1))
    md += ["", "Reduction of the miss ratio against Redis's best, (redis best - pylond) / redis"
           " best (higher is better; the issue's goal is +10 %; bold: the best on the row):", ""]
    md += table(head + names, reduction_rows, "ll" + "r" * len(names))
    md += ["", "Keys held at the end of each replay (DBSIZE), same maxmemory on every row:", ""]
    md += table(head + names + redis_names, held_rows,
                "ll" + "r" * (len(names) + len(redis_names)))
    return md + [""]


def sim_table(sim, h):
    """Markdown: pylon-cachesim's miss ratios at the key count Redis is sized for, with Redis's
    measured best beside them: the policies' own quality, apart from how many keys each server
    fits in its memory."""
    cells = first_seen((r["trace"], int(r["size_pct"])) for r in sim)
    policies = first_seen(r["policy"] for r in sim)
    by = {(r["trace"], int(r["size_pct"]), r["policy"]): r for r in sim}
    rows = []
    for cell in cells:
        best, best_policy = h.redis_best(cell) if cell in h.cells else (float("nan"), "-")
        misses = {p: float(by[cell + (p,)]["miss_ratio"]) for p in policies if cell + (p,) in by}
        top = min(misses.values())
        rows.append([cell[0], size_label(cell[1]),
                     "{:,}".format(int(by[cell + (policies[0],)]["capacity"]))]
                    + [("**%.4f**" if misses.get(p) == top else "%.4f") % misses.get(p, float("nan"))
                       for p in policies]
                    + ["%.4f (%s)" % (best, best_policy.replace("allkeys-", ""))])
    md = ["The policies alone: `pylon-cachesim` replays each trace against each policy at the"
          " key count Redis is sized for (the same for all; strictly sequential, no server), next"
          " to Redis's best measured above (bold: the best on the row):", ""]
    md += table(["trace", "size", "keys"] + policies + ["redis best (measured)"], rows,
                "llr" + "r" * (len(policies) + 1))
    return md + [""]


def write_results(path, h):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["trace", "size_pct", "server", "policy", "miss_ratio", "redis_best",
                    "reduction", "dbsize", "evicted"])
        for cell in h.cells:
            best = h.redis_best(cell)[0]
            for server, policies in (("pylond", h.pylond), ("redis", h.redis)):
                for p in policies:
                    run = h.runs.get(cell + (server, p))
                    if not run:
                        continue
                    miss = float(run["miss_ratio"])
                    w.writerow([cell[0], cell[1], server, p, "%.6f" % miss, "%.6f" % best,
                                "%.4f" % ratio(best - miss, best), run["dbsize"], run["evicted"]])


def throughput_rows(raw):
    """One dict per (row, pipeline): medians per server and the ratio's range over the rounds."""
    runs = defaultdict(dict)  # (row, pipeline) -> round -> server -> run
    for r in raw:
        runs[(r["row"], int(r["pipeline"]))].setdefault(r["round"], {})[r["server"]] = r
    out = []
    for key in sorted(runs, key=lambda k: (k[1], first_seen(r["row"] for r in raw).index(k[0]))):
        rounds = [r for r in runs[key].values() if "pylond" in r and "redis" in r]
        if not rounds:
            continue
        med = {(s, f): statistics.median(float(r[s][f]) for r in rounds)
               for s in ("pylond", "redis")
               for f in ("rps", "evicted", "p99_latency_ms", "server_cpu_us", "driver_cpu_pct")}
        per_round = [ratio(float(r["pylond"]["rps"]), float(r["redis"]["rps"])) for r in rounds]
        out.append({"row": key[0], "pipeline": key[1], "m": med,
                    "policy": {s: rounds[0][s]["policy"] for s in ("pylond", "redis")},
                    "ratio": ratio(med[("pylond", "rps")], med[("redis", "rps")]),
                    "low": min(per_round), "high": max(per_round), "rounds": len(rounds)})
    return out


def throughput_table(rows):
    def pair(r, field, fmt):
        return " / ".join(fmt.format(r["m"][(s, field)]) for s in ("redis", "pylond"))
    cells = [[r["row"], r["pipeline"], "{:,.0f}".format(r["m"][("redis", "rps")]),
              "{:,.0f}".format(r["m"][("pylond", "rps")]),
              "%.2f (%.2f–%.2f)" % (r["ratio"], r["low"], r["high"]),
              pair(r, "p99_latency_ms", "{:.3f}"), pair(r, "server_cpu_us", "{:.2f}"),
              pair(r, "driver_cpu_pct", "{:.0f} %"), pair(r, "evicted", "{:,.0f}")]
             for r in rows]
    return table(["row", "-P", "redis ops/s", "pylond ops/s", "ratio pylond/redis (min–max)",
                  "p99 ms", "server CPU us/op", "driver busy", "keys evicted a run"], cells,
                 "lrrrrrrrr")


def write_tput_results(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "pipeline", "redis_policy", "pylond_policy", "redis_rps", "pylond_rps",
                    "ratio", "ratio_min", "ratio_max", "redis_evicted", "pylond_evicted",
                    "redis_server_cpu_us", "pylond_server_cpu_us"])
        for r in rows:
            w.writerow([r["row"], r["pipeline"], r["policy"]["redis"], r["policy"]["pylond"],
                        "%.0f" % r["m"][("redis", "rps")], "%.0f" % r["m"][("pylond", "rps")],
                        "%.3f" % r["ratio"], "%.3f" % r["low"], "%.3f" % r["high"],
                        "%.0f" % r["m"][("redis", "evicted")],
                        "%.0f" % r["m"][("pylond", "evicted")],
                        "%.3f" % r["m"][("redis", "server_cpu_us")],
                        "%.3f" % r["m"][("pylond", "server_cpu_us")]])


def goals_and_notes(h, tput, raw):
    goals, notes = [], []
    if h.pylond and h.redis:
        meeting = [p for p in h.pylond if h.worst_reduction(p) >= GOAL_REDUCTION]
        worst = ", ".join("%s %+.1f %%" % (p, 100 * h.worst_reduction(p)) for p in h.pylond)
        goals.append("miss ratio at least %.0f %% lower than Redis's best on every trace and size,"
                     " by one policy: %s (each policy's worst row: %s)"
                     % (100 * GOAL_REDUCTION, "yes: " + ", ".join(meeting) if meeting else "no",
                        worst))
        per_cell = ["%s %s: %s" % (c[0], size_label(c[1]),
                                   max(h.pylond, key=lambda p, c=c: h.reduction(c, p)))
                    for c in h.cells]
        notes.append("best pylond policy per row: " + "; ".join(per_cell))
        notes.append("candidate for the default (the best worst row): %s" % h.candidate())
    if tput:
        below = ["%s -P %d (%.2f)" % (r["row"], r["pipeline"], r["ratio"]) for r in tput
                 if not r["ratio"] >= GOAL_RATE]
        goals.append("ops/s at least %.1fx Redis's at maxmemory on every row: %s"
                     % (GOAL_RATE, "yes" if not below else "no, below: " + ", ".join(below)))
        notes.append("server CPU per op, redis / pylond: " + ", ".join(
            "%s -P %d %.2fx" % (r["row"], r["pipeline"],
                                ratio(r["m"][("redis", "server_cpu_us")],
                                      r["m"][("pylond", "server_cpu_us")])) for r in tput))
        bound = ["%s %s -P %d (%.0f %%)" % (s, r["row"], r["pipeline"],
                                            r["m"][(s, "driver_cpu_pct")])
                 for r in tput for s in ("redis", "pylond")
                 if r["m"][(s, "driver_cpu_pct")] >= DRIVER_BOUND]
        if bound:
            notes.append("pylon-loadgen was at least %.0f %% busy (its core, not the server, set"
                         " the rate; read the server CPU per op): %s"
                         % (DRIVER_BOUND, ", ".join(bound)))
        idle = ["%s %s -P %d" % (s, r["row"], r["pipeline"]) for r in tput
                for s in ("pylond", "redis") if r["row"].endswith("SET")
                and r["m"][(s, "evicted")] == 0]
        if idle:
            notes.append("SET runs that evicted nothing (the cache was not full): "
                         + ", ".join(idle))
    refused = ["%s %s %s %s: %s SETs (%d keys held at the end)"
               % (r["trace"], size_label(int(r["size_pct"])), r["server"], r["policy"],
                  r["set_errors"], int(r["dbsize"]))
               for r in raw if int(r.get("set_errors") or 0) > 0]
    if refused:
        notes.append("replays in which the server refused SETs with -OOM (it could not get under"
                     " maxmemory before the command; the driver went on, the key uncached): "
                     + "; ".join(refused))
    cold = ["%s %s %s %s" % (r["trace"], size_label(int(r["size_pct"])), r["server"],
                             r["policy"]) for r in raw if int(r["evicted"]) == 0]
    if cold:
        notes.append("replays that evicted nothing after the warm-up (the cache never filled:"
                     " their miss ratio is not at that cache size): " + ", ".join(cold))
    return goals, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--best", action="store_true")
    ap.add_argument("--target", default="pylond")
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=5000000)
    ap.add_argument("--value", type=int, default=100)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--tput-requests", type=int, default=200000)
    a = ap.parse_args()
    raw = read_rows(os.path.join(a.out_dir, "cache-raw.csv"))
    h = HitRatios(raw)
    if a.best:
        if not h.candidate():
            print("no replays of both servers in %s" % a.out_dir, file=sys.stderr)
            return 1
        print(h.candidate())
        return 0
    sizing = read_rows(os.path.join(a.out_dir, "cache-sizing.csv"))
    tput = throughput_rows(read_rows(os.path.join(a.out_dir, "cache-tput-raw.csv")))
    write_results(os.path.join(a.out_dir, "cache-results.csv"), h)
    write_tput_results(os.path.join(a.out_dir, "cache-tput-results.csv"), tput)

    # The settings of the replays, as the driver reported them (the same for every replay).
    run = raw[0] if raw else {"requests": a.requests, "keys": a.keys, "batch": 64,
                              "value_bytes": a.value, "warmup": a.requests // 5}
    md = ["### Caching: pylond's eviction policies next to redis-server", "",
          "Each trace is {:,} requests over {:,} keys (`key:%012d`), replayed cache-aside by"
          " `pylon-cachegen` on one connection (batches of {} GETs, then a SET of {} bytes for"
          " each key that missed); the first {:,} requests are warm-up, not counted. Every server"
          " is fresh for each replay, with the maxmemory at which redis-server holds the given"
          " share of the keys (both servers get the same maxmemory). {}{}"
          .format(int(run["requests"]), int(run["keys"]), run["batch"], int(run["value_bytes"]),
                  int(run["warmup"]), agreement(raw),
                  "" if a.target == "pylond" else " The pylond columns are %s." % a.target), ""]
    md += sizing_table(sizing, a.keys) + [""]
    if h.cells:
        md += miss_tables(h)
    sim_path = os.path.join(a.out_dir, "cache-sim.csv")
    if os.path.exists(sim_path):
        md += sim_table(read_rows(sim_path), h)
    if tput:
        md += ["Throughput at maxmemory (the largest cache size, filled first) with eviction"
               " under way: `pylon-loadgen -c {} -n {:,} -r {:,}`, random keys below the key"
               " space, drawn afresh every run: most SETs add a key and so evict one; a GET hits"
               " about as often as the cache holds keys. A GET row reads the keys the SET row"
               " before it wrote; the CACHE.* rows (pylond) use keys of their own, and Redis runs"
               " GET/SET on those. pylond `{}`, redis `{}`; median of {} rounds."
               .format(a.clients, a.tput_requests, a.keys, tput[0]["policy"]["pylond"],
                       tput[0]["policy"]["redis"], tput[0]["rounds"]), ""]
        md += ["Medians; pairs are redis / pylond. Server CPU per op: the server's CPU time"
               " during the run / its requests (what a request costs it, whatever limits the"
               " rate). Driver busy: pylon-loadgen's CPU time over its wall time; near 100 % its"
               " core, not the server, set the rate. Keys evicted a run: evicted_keys grew by"
               " that much during the run.", ""]
        md += throughput_table(tput) + [""]
    goals, notes = goals_and_notes(h, tput, raw)
    finish_markdown(md, goals, notes, os.path.join(a.out_dir, "cache.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
