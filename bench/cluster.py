#!/usr/bin/python3
"""The helpers and tables of bench/cluster.sh:

    cluster.py wait-ok PORT ...                   every node: cluster_state:ok, knows them all
    cluster.py nodes CSV SERVER PORT ...          appends, per node: slots it owns, SET and GET
                                                  calls, error replies, keys
    cluster.py moved CSV SAMPLE OLD_PORT NEW_PORT NEW_NODE
                                                  appends: slots whose owner differs between the
                                                  map of the node on OLD_PORT (3 nodes) and the
                                                  one on NEW_PORT (the same plus NEW_NODE)
    cluster.py report OUT_DIR [--clients C] [--keyspace K] [--seconds S] [--threads T]
                              [--pinning TEXT]

report reads cluster-raw.csv, cluster-nodes.csv, cluster-slots.csv (and cluster-warnings.txt,
what redis-benchmark printed besides its rows) and writes cluster.md. Every reply is read
through the real servers (CLUSTER SLOTS, CLUSTER INFO, INFO): nothing is recomputed here.
"""

import argparse
import csv
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import finish_markdown, read_rows, table, throughput  # noqa: E402

SLOTS = 16384
SHORT_RUN = 1.0  # s: shorter runs are flagged in the notes
SHORT_RUN_TICK = 2.0  # s, with several threads: they end a run only on a 250 ms tick


class ReplyError(Exception):
    pass


class Conn:
    """One RESP2 connection to 127.0.0.1:port; call() sends a command and returns its reply."""

    def __init__(self, port, timeout=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def close(self):
        self.file.close()
        self.sock.close()

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.reply()

    def reply(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise ReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self.file.read(size + 2)[:-2].decode(errors="replace")
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.reply() for _ in range(size)]
        raise ReplyError("unexpected reply %r" % line)


def call(port, *args):
    c = Conn(port)
    try:
        return c.call(*args)
    finally:
        c.close()


def info_fields(text):
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    return fields


def slot_owners(port):
    """The node's CLUSTER SLOTS as a list of 16384 "host:port" (None: a slot nobody owns)."""
    owners = [None] * SLOTS
    for entry in call(port, "CLUSTER", "SLOTS"):
        first, last, master = entry[0], entry[1], entry[2]
        for slot in range(first, last + 1):
            if owners[slot] is not None:
                sys.exit("cluster.py: node %d's CLUSTER SLOTS gives slot %d twice" % (port, slot))
            owners[slot] = "%s:%d" % (master[0], master[1])
    missing = owners.count(None)
    if missing:
        sys.exit("cluster.py: node %d's CLUSTER SLOTS leaves %d slots without an owner"
                 % (port, missing))
    return owners


def wait_ok(ports, limit=30.0):
    """Until every node answers cluster_state:ok and knows len(ports) nodes, at most limit s."""
    deadline = time.monotonic() + limit
    while True:
        pending = []
        for port in ports:
            try:
                fields = info_fields(call(port, "CLUSTER", "INFO"))
            except (OSError, EOFError, ReplyError) as e:
                fields = {"error": str(e)}
            if (fields.get("cluster_state") != "ok" or
                    fields.get("cluster_known_nodes") != str(len(ports))):
                pending.append("%d: %s" % (port, ", ".join(
                    "%s=%s" % (k, fields.get(k)) for k in ("cluster_state", "cluster_known_nodes",
                                                            "error") if k in fields)))
        if not pending:
            return 0
        if time.monotonic() > deadline:
            sys.exit("cluster.py: the cluster is not ok after %.0f s: %s"
                     % (limit, "; ".join(pending)))
        time.sleep(0.1)


def append_csv(path, header, row):
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        if new:
            w.writerow(header)
        w.writerow(row)


def nodes(path, server, ports):
    for port in ports:
        owners = slot_owners(port)
        stats = info_fields(call(port, "INFO", "stats"))
        commands = info_fields(call(port, "INFO", "commandstats"))

        def calls(name):
            for field in commands.get("cmdstat_" + name, "").split(","):
                if field.startswith("calls="):
                    return int(field[6:])
            return 0
        append_csv(path, ["server", "port", "slots", "set_calls", "get_calls", "error_replies",
                          "keys"],
                   [server, port, owners.count("127.0.0.1:%d" % port), calls("set"), calls("get"),
                    stats.get("total_error_replies", "?"), call(port, "DBSIZE")])


def moved(path, sample, old_port, new_port, new_node):
    before, after = slot_owners(old_port), slot_owners(new_port)
    old_nodes = sorted(set(before))
    if new_node in old_nodes or new_node not in after:
        sys.exit("cluster.py: the map of node %d does not name the 4th node %s"
                 % (new_port, new_node))
    changed = [s for s in range(SLOTS) if before[s] != after[s]]
    to_new = sum(1 for s in changed if after[s] == new_node)
    append_csv(path, ["sample", "nodes", "new_node", "slots_per_node_3", "slots_per_node_4",
                      "moved", "moved_to_new", "moved_between_old"],
               [sample, " ".join(old_nodes), new_node,
                " ".join(str(before.count(n)) for n in old_nodes),
                " ".join(str(after.count(n)) for n in old_nodes + [new_node]),
                len(changed), to_new, len(changed) - to_new])


def report(a):
    out = a.out_dir
    raw = os.path.join(out, "cluster-raw.csv")
    rows = throughput(raw)
    requests = {}
    for r in read_rows(raw):
        requests.setdefault((r["test"], int(r["pipeline"])), set()).add(int(r["requests"]))
    rounds = rows[0][9] if rows else 0
    sized = ("sized from the warm-up to last about %s s at the faster one" % a.seconds
             if a.seconds else "BENCH_N")
    md = ["### Cluster: 3 pylond nodes next to a 3-node Redis Cluster", "",
          "`redis-benchmark --cluster{} -t set,get -c {} -r {:,}`, the same requests per run on"
          " both clusters ({}); median of {} rounds, the clusters alternating; {}.".format(
              " --threads " + a.threads if a.threads else "", a.clients, a.keyspace, sized,
              rounds, a.pinning), ""]
    cells, short = [], []
    short_run = SHORT_RUN if a.threads == "1" else SHORT_RUN_TICK
    for r in rows:
        n = max(requests[(r[0], r[1])])
        secs = (n / r[2], n / r[3])
        short += ["%s -P %d" % (r[0], r[1])] if min(secs) < short_run else []
        cells.append([r[0], r[1], "{:,}".format(n), "{:,.0f}".format(r[2]),
                      "{:,.0f}".format(r[3]), "%.2f" % r[4], "%.2f / %.2f" % secs,
                      "%.3f / %.3f" % (r[7], r[8])])
    md += table(["test", "-P", "requests/run", "redis ops/s", "pylond ops/s",
                 "ratio pylond/redis", "run s redis / pylond", "p99 ms redis / pylond"],
                cells, "lrrrrrrr")
    md += [""]

    per_node = read_rows(os.path.join(out, "cluster-nodes.csv"))
    if per_node:
        md += ["Per node, over the whole run (warm-up included): slots it owns (its CLUSTER"
               " SLOTS), the SET and GET it served (INFO commandstats), error replies (INFO stats"
               " total_error_replies: a -MOVED would count), keys (DBSIZE):", ""]
        md += table(["cluster", "node", "slots", "SET calls", "GET calls", "error replies",
                     "keys"],
                    [[r["server"], r["port"], "{:,}".format(int(r["slots"])),
                      "{:,}".format(int(r["set_calls"])), "{:,}".format(int(r["get_calls"])),
                      r["error_replies"], "{:,}".format(int(r["keys"]))] for r in per_node],
                    "lrrrrrr")
        md += [""]

    samples = read_rows(os.path.join(out, "cluster-slots.csv"))
    shares = []
    if samples:
        ideal = SLOTS // 4
        md += ["Slots moved when a 4th node joins the pylond membership: for each set of ports,"
               " the CLUSTER SLOTS of a node started with the 3 nodes (sample 1: the benchmarked"
               " cluster) and of a node started with the same 3 plus a 4th; a slot moved when"
               " its owner differs. Ideal: the 4th node's fair share, 1/4 = {:,} slots, all of"
               " them to the new node.".format(ideal), ""]
        cells = []
        for r in samples:
            share = int(r["moved"]) / SLOTS
            shares.append(share)
            cells.append([r["sample"], r["nodes"].replace("127.0.0.1:", "") + " + " +
                          r["new_node"].replace("127.0.0.1:", ""),
                          r["slots_per_node_3"].replace(" ", " / "),
                          "{:,}".format(int(r["moved"])), "%.2f %%" % (100 * share),
                          "%.3f" % (int(r["moved"]) / ideal),
                          "{:,}".format(int(r["moved_to_new"])), r["moved_between_old"]])
        md += table(["sample", "ports: 3 nodes + the 4th", "slots per node, 3 nodes",
                     "slots moved", "share of 16384", "x ideal (4,096)", "to the new node",
                     "between old nodes"], cells, "llrrrrrr")
        md += ["", "Over {} samples: mean {:.2f} % of the slots moved (ideal 25.00 %), from"
               " {:.2f} % to {:.2f} %.".format(len(shares), 100 * statistics.mean(shares),
                                               100 * min(shares), 100 * max(shares)), ""]

    below = ["%s -P %d (%.2f)" % (r[0], r[1], r[4]) for r in rows if not r[4] >= 1.0]
    goals = ["ops/s at least 1.0x Redis Cluster on every row: " +
             ("yes" if not below else "no, below: " + ", ".join(below))]
    if samples:
        between = sum(int(r["moved_between_old"]) for r in samples)
        goals.append("a 4th node moves about 1/4 of the slots, all to itself: mean %.2f %%"
                     " (ideal 25.00 %%), %s" % (100 * statistics.mean(shares),
                                                "none between the old nodes" if not between
                                                else "%d between the old nodes" % between))
    notes = []
    pylond_nodes = [r for r in per_node if r["server"] == "pylond"]
    if pylond_nodes:
        errors = sum(int(r["error_replies"]) for r in pylond_nodes
                     if r["error_replies"].isdigit())
        idle = [r["port"] for r in pylond_nodes
                if int(r["set_calls"]) == 0 or int(r["get_calls"]) == 0]
        notes.append("redis-benchmark --cluster against pylond: found its %d masters (CLUSTER"
                     " NODES), %d error replies, %s" % (len(pylond_nodes), errors,
                                                        "SET and GET on every node" if not idle
                                                        else "no SET or GET on " +
                                                        ", ".join(idle)))
    if short and a.threads == "1":
        notes.append("runs shorter than %.0f s (%s): a few milliseconds of other work on the"
                     " machine weigh on their rate; leave BENCH_N unset to size the runs"
                     % (short_run, ", ".join(short)))
    elif short:
        notes.append("runs shorter than %.0f s (%s): with several threads redis-benchmark"
                     " --cluster ends a run only on a 250 ms tick, so its rate is requests /"
                     " (k x 0.25 s) and the next value down is 0.25 / run s lower; leave BENCH_N"
                     " unset to size the runs" % (short_run, ", ".join(short)))
    warnings_path = os.path.join(out, "cluster-warnings.txt")
    if os.path.exists(warnings_path):
        with open(warnings_path) as f:
            lines = sorted(set(line.strip() for line in f if line.strip()))
        if lines:
            notes.append("redis-benchmark also printed: " + "; ".join(lines))
    finish_markdown(md, goals, notes, os.path.join(out, "cluster.md"))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "wait-ok":
        return wait_ok([int(p) for p in args])
    if cmd == "nodes":
        nodes(args[0], args[1], [int(p) for p in args[2:]])
        return 0
    if cmd == "moved":
        moved(args[0], int(args[1]), int(args[2]), int(args[3]), args[4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["report"])
    ap.add_argument("out_dir")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=1000000)
    ap.add_argument("--seconds", default="", help="the runs' target length (empty: BENCH_N)")
    ap.add_argument("--threads", default="", help="redis-benchmark --threads (empty: none)")
    ap.add_argument("--pinning", default="")
    report(ap.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
